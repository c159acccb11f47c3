/**
 * The agent under `mention_only`: the policy lets only posts that mention the bot through, but
 * a thread the agent was mentioned in is followed, so its follow-ups (no mention) are answered.
 * Posts elsewhere without a mention stay unseen. End to end against the sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent } from "../../src/apps/agent/index.js";
import type { Post } from "../../src/mattermost/types.js";
import { until } from "../helpers/cli.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { OpenAiTestServer, type RecordedRequest } from "../helpers/openai-server.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lastUser = (r: RecordedRequest) => r.body.messages?.at(-1)?.content ?? "";

describe("the agent with policy.mention_only", () => {
  let h: Harness;
  let model: OpenAiTestServer;

  beforeAll(async () => {
    model = await OpenAiTestServer.start();
    model.otherwise((r) => ({ chunks: ["You said: ", lastUser(r)] }));
    h = await startHarness({
      policy: { mentionOnly: true, allowedUsers: ["alice", "bob"] },
      setup: (bot) =>
        void bot.use(agent({ url: model.url, model: "test-model", editIntervalMs: 100 })),
    });
  });
  afterAll(async () => {
    await h.close();
    await model.close();
  });

  const ops = () => h.seed.channels.ops.id;
  const answerMatching = (post: Post, pattern: RegExp) =>
    until(
      () => h.botPostsInThread(post).find((p) => pattern.test(p.message)),
      `an answer matching ${pattern}`,
      5_000,
    );

  it("answers the follow-ups of a thread it was mentioned in, without a mention", async () => {
    const root = h.say("alice", ops(), "@todobot start here");
    await answerMatching(root, /You said: alice: start here/);
    h.say("bob", ops(), "and a follow-up without a mention", root.id);
    await answerMatching(root, /You said: bob: and a follow-up without a mention/);
  });

  it("leaves alone posts without a mention outside the threads it follows, and a thread after !leave", async () => {
    const before = model.chats.length;
    const unrelated = h.say("alice", ops(), "a post nobody addressed to the bot");
    const reply = h.say("bob", ops(), "a reply in a thread the bot was never in", unrelated.id);
    const root = h.say("alice", ops(), "@todobot one question");
    await answerMatching(root, /one question/);
    h.say("alice", ops(), "!leave", root.id);
    await answerMatching(root, /Leaving this thread/);
    h.say("alice", ops(), "still there?", root.id);
    await sleep(600);
    expect(model.chats.slice(before).map(lastUser)).toEqual(["alice: one question"]);
    expect(h.botPostsInThread(unrelated)).toEqual([]);
    void reply;
  });
});
