/**
 * What a user sees of the agent's work: the bot's reactions on the question in order (👀, 🛠,
 * then ✅ or ⚠️, each replacing the one before), "typing…" while the model thinks between tool
 * rounds, and the whole answer — text before and after a tool — in the thread. Watched as alice
 * over the sandbox's WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent } from "../../src/apps/agent/index.js";
import type { Post } from "../../src/mattermost/types.js";
import { until } from "../helpers/cli.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { OpenAiTestServer } from "../helpers/openai-server.js";
import { TestSocket, type Frame } from "../sandbox/ws-client.js";

const yes = (condition: boolean) => condition || undefined;

describe("the agent's status on the question", () => {
  let h: Harness;
  let model: OpenAiTestServer;
  let alice: TestSocket;
  let release: () => void = () => {};

  beforeAll(async () => {
    model = await OpenAiTestServer.start();
    h = await startHarness({
      setup: (bot) =>
        void bot.use(
          agent({
            url: model.url,
            model: "test-model",
            timeoutMs: 2_000,
            editIntervalMs: 100,
            typingIntervalMs: 200,
            tools: [
              {
                name: "lookup",
                description: "Looks something up (slowly)",
                parameters: { type: "object", properties: {} },
                run: () =>
                  new Promise<string>((resolve) => {
                    release = () => resolve("found it");
                  }),
              },
            ],
          }),
        ),
    });
    alice = await TestSocket.open(h.sandbox.url, { token: h.seed.users.alice.token });
    await alice.event("hello");
  });
  afterAll(async () => {
    alice?.close();
    await h?.close();
    await model?.close();
  });

  /** The bot's reaction events on `post`, in order: `+eyes`, `-eyes`, … */
  const reactionsOn = (post: Post) =>
    alice.frames
      .filter(
        (f: Frame) => f.json.event === "reaction_added" || f.json.event === "reaction_removed",
      )
      .map((f) => ({
        event: f.json.event,
        reaction: JSON.parse(String(f.json.data?.reaction)) as {
          post_id: string;
          user_id: string;
          emoji_name: string;
        },
      }))
      .filter((r) => r.reaction.post_id === post.id && r.reaction.user_id === h.seed.bot.user.id)
      .map((r) => `${r.event === "reaction_added" ? "+" : "-"}${r.reaction.emoji_name}`);

  it("👀 when received, 🛠 while a tool runs, ✅ when done, each replacing the one before; typing between the rounds; the whole answer kept", async () => {
    model.next(
      {
        chunks: ["Let me look. "],
        toolCalls: [{ id: "l1", name: "lookup", arguments: "{}" }],
      },
      { chunks: ["It is ", "found."], firstDelayMs: 600 },
    );
    const question = h.say("alice", h.seed.channels.townSquare.id, "@todobot look it up");
    await until(() => yes(reactionsOn(question).includes("-eyes")), "🛠 replacing 👀", 5_000);
    expect(reactionsOn(question)).toEqual(["+eyes", "+hammer_and_wrench", "-eyes"]);
    const typingBefore = alice.events("typing").length;
    release();
    await until(
      () => yes(reactionsOn(question).includes("+white_check_mark")),
      "✅ at the end",
      5_000,
    );
    await until(() => yes(reactionsOn(question).length === 5), "🛠 removed", 5_000);
    expect(reactionsOn(question)).toEqual([
      "+eyes",
      "+hammer_and_wrench",
      "-eyes",
      "+white_check_mark",
      "-hammer_and_wrench",
    ]);
    // the model thought 600 ms after the tool: "typing…" in the thread meanwhile
    expect(alice.events("typing").length).toBeGreaterThan(typingBefore);
    const answer = h
      .botPostsInThread(question)
      .map((p) => p.message)
      .join("\n");
    expect(answer).toBe("Let me look. \n\n_Using the tool lookup…_\n\nIt is found.");
  });

  it("a finished answer is the whole answer when its edits are rate limited around a tool", async () => {
    model.next(
      {
        chunks: ["First ", "part. "],
        delayMs: 50,
        toolCalls: [{ id: "l2", name: "lookup", arguments: "{}" }],
      },
      { chunks: ["Second ", "part ", "after ", "the tool."], delayMs: 50 },
    );
    // every edit of a post refused with 429 for a while: the stream must still end whole
    h.sandbox.faults.failRest({
      path: /^\/api\/v4\/posts\/[a-z0-9]+(\/patch)?$/,
      method: "PUT",
      answer: 429,
      count: 6,
      retryAfterSeconds: 1,
    });
    const question = h.say("alice", h.seed.channels.townSquare.id, "@todobot look again");
    await until(() => yes(reactionsOn(question).includes("+hammer_and_wrench")), "the tool", 5_000);
    release();
    await until(
      () => yes(reactionsOn(question).includes("+white_check_mark")),
      "✅ at the end",
      10_000,
    );
    const answer = h
      .botPostsInThread(question)
      .map((p) => p.message)
      .join("\n");
    expect(answer).toBe("First part. \n\n_Using the tool lookup…_\n\nSecond part after the tool.");
  });

  it("⚠️ when the answer fails", async () => {
    model.next({ status: 500 });
    const question = h.say("alice", h.seed.channels.townSquare.id, "@todobot fail please");
    await until(() => yes(reactionsOn(question).length === 3), "⚠️ replacing 👀", 5_000);
    expect(reactionsOn(question)).toEqual(["+eyes", "+warning", "-eyes"]);
  });
});
