/**
 * A reply the server cannot take right now (found by `npm run chaos`: a message got its answer
 * and "Sorry, something went wrong" too). The answer is stored, so it is not a handler failure:
 * it goes out with the outbox's retries, and is the only post in the thread.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("a reply the server refuses for now", () => {
  it("is sent later, once, and the user is not told it failed", async () => {
    h = await startHarness();
    // more 502s than the client's own tries: the first delivery fails for good
    h.sandbox.faults.failRest({ path: "^/api/v4/posts$", method: "POST", answer: 502, count: 8 });
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot add through a bad gateway");
    const reply = await h.replyTo(post, { timeoutMs: 15_000 });
    expect(reply.message).toBe("Added #1: through a bad gateway");
    await new Promise((r) => setTimeout(r, 500));
    expect(h.botPostsInThread(post).map((p) => p.message)).toEqual([
      "Added #1: through a bad gateway",
    ]);
  }, 20_000);
});
