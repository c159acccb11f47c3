/**
 * A call the server never answers holds a channel's queue for one quick timeout (5 s), not the
 * client's 15 s: the reply's create is given up and sent again (same `pending_post_id`), and the
 * next message of the channel is answered right after.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("a hung call", () => {
  it("a create the server never answers holds the channel's queue about 5 s: the next message is answered within 10 s of the first (it took 15 s)", async () => {
    h = await startHarness();
    const channel = h.seed.channels.ops.id;
    await h.replyTo(h.say("alice", channel, "@todobot add warm-up"));
    h.sandbox.faults.failRest({ path: "^/api/v4/posts$", method: "POST", answer: "timeout" });
    const start = Date.now();
    const first = h.say("alice", channel, "@todobot add first");
    const second = h.say("alice", channel, "@todobot add second");
    expect((await h.replyTo(second, { timeoutMs: 30_000 })).message).toMatch(/Added #3: second/);
    expect(Date.now() - start).toBeLessThan(10_000);
    expect(h.botPostsInThread(first).map((p) => p.message)).toEqual([
      expect.stringMatching(/Added #2: first/),
    ]);
    expect(h.botPostsInThread(second)).toHaveLength(1);
  }, 40_000);
});
