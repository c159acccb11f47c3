/**
 * Where the agent speaks: per channel a mode (mention, threads, root_posts, all) with its own
 * system prompt, model and who may summon it, and direct messages set the same way. The sandbox
 * over real HTTP and WebSocket; the test model server as the model.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent } from "../../src/apps/agent/index.js";
import type { Post } from "../../src/mattermost/types.js";
import { until } from "../helpers/cli.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { OpenAiTestServer, type RecordedRequest } from "../helpers/openai-server.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const FOLLOW_MINUTES = 0.005; // 300 ms

describe("the agent's channel modes", () => {
  let h: Harness;
  let model: OpenAiTestServer;
  let plain: string;
  let roots: string;

  beforeAll(async () => {
    model = await OpenAiTestServer.start();
    model.otherwise((r) => ({ chunks: [`answer to ${r.body.messages?.at(-1)?.content ?? ""}`] }));
    h = await startHarness({
      setup: (bot) =>
        void bot.use(
          agent({
            url: model.url,
            model: "test-model",
            systemPrompt: "The usual prompt.",
            followThreadsMinutes: FOLLOW_MINUTES,
            channels: [
              { channel: "ops", mode: "all", systemPrompt: "You help the ops team." },
              { channel: "town-square", mode: "threads" },
              { channel: "roots", mode: "root_posts", model: "big-model" },
              "plain", // a name alone: mention mode
              { channel: "dm", allowedUsers: ["bob"] },
            ],
          }),
        ),
    });
    const channel = (name: string) => {
      const c = h.sandbox.createChannel({ team_id: h.seed.team.id, name });
      for (const u of [h.seed.users.alice, h.seed.users.bob, h.seed.bot])
        h.sandbox.addToChannel(c.id, u.user.id);
      return c.id;
    };
    plain = channel("plain");
    roots = channel("roots");
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin"); // ephemeral refusals
  });
  afterAll(async () => {
    await h?.close();
    await model?.close();
  });

  const requestFor = (text: string) =>
    model.waitForRequest((r) => r.body.messages?.at(-1)?.content === `alice: ${text}`);
  const answered = (post: Post, text: string) =>
    until(
      () => h.botPostsInThread(post).find((p) => p.message === `answer to alice: ${text}`),
      `the answer to ${text}`,
      5_000,
    );
  const asked = (text: string) =>
    model.chats.some((r: RecordedRequest) =>
      (r.body.messages ?? []).some((m) => m.content?.endsWith(text)),
    );

  it("all: every post is answered, without a mention, with the channel's system prompt", async () => {
    const root = h.say("alice", h.seed.channels.ops.id, "disk full on db1");
    const request = await requestFor("disk full on db1");
    expect(request.body.messages?.[0]).toEqual({
      role: "system",
      content: "You help the ops team.",
    });
    await answered(root, "disk full on db1");
  });

  it("root_posts: a new root post is answered without a mention, with the channel's model", async () => {
    const root = h.say("alice", roots, "what is our SLA?");
    const request = await requestFor("what is our SLA?");
    expect(request.body.model).toBe("big-model");
    await answered(root, "what is our SLA?");
  });

  it("mention: a root post without a mention is not answered; a mentioned thread is followed until idle", async () => {
    const ignored = h.say("alice", plain, "just chatting here");
    const root = h.say("alice", plain, "@todobot hello there");
    await answered(root, "hello there");
    expect(asked("just chatting here")).toBe(false);
    expect(h.botPostsInThread(ignored)).toEqual([]);
    await sleep(FOLLOW_MINUTES * 60_000 + 200); // idle past the follow time
    h.say("alice", plain, "still there?", root.id);
    const control = h.say("alice", plain, "@todobot control");
    await answered(control, "control"); // the bot has handled the posts before it
    expect(asked("still there?")).toBe(false);
  });

  it("threads: a summoned thread is answered without a mention however long it was idle", async () => {
    const root = h.say("alice", h.seed.channels.townSquare.id, "@todobot start");
    await answered(root, "start");
    await sleep(FOLLOW_MINUTES * 60_000 + 200);
    const reply = h.say("alice", h.seed.channels.townSquare.id, "and later?", root.id);
    expect(reply.root_id).toBe(root.id);
    await answered(root, "and later?"); // in the thread
  });

  it("dm: its own allowed users", async () => {
    const bobDm = h.sandbox.directChannel(h.seed.users.bob.user.id, h.seed.bot.user.id);
    const fromBob = h.sandbox.post(h.seed.users.bob.user.id, {
      channel_id: bobDm.id,
      message: "hi from bob",
    });
    await until(
      () => h.botPostsInThread(fromBob).find((p) => p.message === "answer to bob: hi from bob"),
      "the answer to bob",
      5_000,
    );
    const aliceDm = h.sandbox.directChannel(h.seed.users.alice.user.id, h.seed.bot.user.id);
    h.sandbox.post(h.seed.users.alice.user.id, {
      channel_id: aliceDm.id,
      message: "hi from alice",
    });
    await until(
      () =>
        h.sandbox
          .ephemeralPosts(h.seed.users.alice.user.id)
          .find((p) => p.message.includes("not allowed to ask the assistant")),
      "alice refused",
      5_000,
    );
    expect(asked("hi from alice")).toBe(false);
  });
});
