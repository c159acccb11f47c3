/**
 * A catch-up whose listing of the bot's channels fails. In a storm (`npm run chaos`) the calls
 * that list them (`/users/me/teams`, then each team's channels) met 500s and resets at every
 * catch-up, and the posts missed while the socket was down waited 40-90 s for one listing to
 * work. The channels known from the last listing need no call to be read: their posts are read
 * and answered at once, and the catch-up stays owed until a listing works.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("a catch-up whose channel listing fails", () => {
  it("reads the channels known from the last listing: a mention posted while the socket was down is answered", async () => {
    // no resume: every reconnection is a new connection, and what was missed comes from a catch-up
    h = await startHarness({ sandbox: { version: "5.37", reliableWebSockets: false } });
    const channel = h.seed.channels.ops.id;
    const warm = h.say("alice", channel, "@todobot add first");
    expect((await h.replyTo(warm)).message).toMatch(/Added #1: first/);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the first connection's catch-up is over

    h.sandbox.faults.failRest({ path: "^/api/v4/users/me/teams", answer: 500, count: 100_000 });
    const missed = await h.withoutWebSocket(async () => {
      const post = h!.say("alice", channel, "@todobot add while the socket was down");
      await new Promise((resolve) => setTimeout(resolve, 300));
      return post;
    });
    const reply = await h.replyTo(missed, { timeoutMs: 15_000 });
    expect(reply.message).toMatch(/Added #2: while the socket was down/);
    h.sandbox.faults.clear();
  }, 30_000);

  it("after a restart, reads the channels its last run listed (kept in the store)", async () => {
    h = await startHarness({ sandbox: { version: "5.37", reliableWebSockets: false } });
    const channel = h.seed.channels.ops.id;
    const warm = h.say("alice", channel, "@todobot add first");
    expect((await h.replyTo(warm)).message).toMatch(/Added #1: first/);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // the first catch-up listed the channels

    await h.bot.stop();
    const missed = h.say("alice", channel, "@todobot add while the bot was stopped");
    h.sandbox.faults.failRest({ path: "^/api/v4/users/me/teams", answer: 500, count: 100_000 });
    await h.restartBot();
    const reply = await h.replyTo(missed, { timeoutMs: 15_000 });
    expect(reply.message).toMatch(/Added #2: while the bot was stopped/);
    h.sandbox.faults.clear();
  }, 40_000);
});
