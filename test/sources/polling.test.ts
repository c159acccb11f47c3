/** The polling source against the sandbox over real HTTP: answers, DMs, channels joined later, restarts, requests per round. */
import { afterEach, describe, expect, it } from "vitest";
import { todo } from "../../src/apps/todo/index.js";
import type { Bot } from "../../src/bot/bot.js";
import type { Envelope } from "../../src/bot/envelope.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { PollingSource } from "../../src/sources/polling.js";
import { startHarness, type Harness } from "../helpers/harness.js";

const INTERVAL_MS = 1_000;
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function pollingBot(policy: { mentionOnly?: boolean } = {}) {
  const envelopes: Envelope[] = [];
  const sources: PollingSource[] = [];
  const h = await startHarness({
    policy,
    setup: (bot: Bot) => {
      bot.use((ctx, next) => {
        envelopes.push(ctx.envelope);
        return next();
      });
      bot.use(todo());
    },
    mattermostSource: () => {
      const source = new PollingSource({ intervalMs: INTERVAL_MS });
      sources.push(source);
      return source;
    },
  });
  harnesses.push(h);
  return { h, envelopes, source: () => sources.at(-1)! };
}

/** The bot's API calls in the sandbox's traffic log after `seq`. */
function botCalls(sandbox: Sandbox, afterSeq: number) {
  return sandbox
    .trafficLog()
    .filter((e) => e.kind === "api" && e.user === "todobot" && e.seq > afterSeq);
}

const lastSeq = (sandbox: Sandbox) => sandbox.trafficLog().at(-1)?.seq ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PollingSource against the sandbox", () => {
  it("answers a post at the next rounds, with the envelope the WebSocket would give", async () => {
    const { h, envelopes } = await pollingBot();
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot add buy milk");
    // the latency is `npm run bench:polling`'s figure; here, within the next round or the one after
    const reply = await h.replyTo(post, { timeoutMs: 2 * INTERVAL_MS + 2_000 });
    expect(reply.message).toMatch(/Added #1: buy milk/);
    expect(envelopes.find((e) => e.id === post.id)).toMatchObject({
      kind: "message",
      source: "polling",
      channel: { id: h.seed.channels.ops.id, name: "ops", type: "O" },
      teamId: h.seed.team.id,
      user: { id: h.seed.users.alice.user.id, name: "alice" },
      mentions: [h.seed.bot.user.id],
    });
  });

  it("answers direct messages, mentioned as the server says, even with mention_only", async () => {
    const { h, envelopes } = await pollingBot({ mentionOnly: true });
    const dm = h.sandbox.directChannel(h.seed.users.alice.user.id, h.seed.bot.user.id);
    const post = h.say("alice", dm.id, "add private thing");
    expect((await h.replyTo(post, { timeoutMs: INTERVAL_MS + 1_000 })).message).toMatch(
      /Added #1: private thing/,
    );
    expect(envelopes.find((e) => e.id === post.id)).toMatchObject({
      channel: { id: dm.id, type: "D" },
      mentions: [h.seed.bot.user.id],
    });
    // a channel post without a mention is not addressed to the bot (mention_only drops it before any handler)
    const plain = h.say("alice", h.seed.channels.ops.id, "add not for the bot");
    const mentioned = h.say("alice", h.seed.channels.ops.id, "@todobot add for the bot");
    await h.replyTo(mentioned, { timeoutMs: INTERVAL_MS + 1_000 });
    expect(h.botPostsInThread(plain)).toEqual([]);
    expect(envelopes.find((e) => e.id === plain.id)).toBeUndefined();
  });

  it("finds a channel the bot joins later", async () => {
    const { h } = await pollingBot();
    const later = h.sandbox.createChannel({
      team_id: h.seed.team.id,
      name: "later",
      display_name: "Later",
    });
    h.sandbox.addToChannel(later.id, h.seed.users.alice.user.id);
    h.sandbox.addToChannel(later.id, h.seed.bot.user.id);
    const reply = await h.replyTo(h.say("alice", later.id, "@todobot add found it"), {
      timeoutMs: INTERVAL_MS + 1_000,
    });
    expect(reply.message).toMatch(/Added #1: found it/);
  });

  it("misses nothing across a restart and answers nothing twice", async () => {
    const { h } = await pollingBot();
    const ops = h.seed.channels.ops.id;
    const before = h.say("alice", ops, "@todobot add before the stop");
    await h.replyTo(before, { timeoutMs: INTERVAL_MS + 1_000 });
    await h.bot.stop();
    const dm = h.sandbox.directChannel(h.seed.users.bob.user.id, h.seed.bot.user.id);
    const whileDown = [
      h.say("alice", ops, "@todobot add while down"),
      h.say("bob", dm.id, "add in a DM while down"),
    ];
    await h.restartBot();
    for (const post of whileDown) await h.replyTo(post, { timeoutMs: INTERVAL_MS + 1_000 });
    await sleep(INTERVAL_MS * 2);
    for (const post of [before, ...whileDown]) expect(h.botPostsInThread(post)).toHaveLength(1);
  });

  it("makes one request per round when idle, and reads only the channel that moved", async () => {
    const { h, source } = await pollingBot();
    await sleep(INTERVAL_MS * 1.5); // past the first rounds
    const idleFrom = lastSeq(h.sandbox);
    await sleep(INTERVAL_MS * 5);
    const idle = botCalls(h.sandbox, idleFrom);
    // 5 rounds, one listing each (the team list is refreshed once a minute)
    expect(idle.length).toBeGreaterThanOrEqual(4);
    expect(idle.length).toBeLessThanOrEqual(6);
    expect(idle.every((e) => e.url === `/api/v4/users/me/teams/${h.seed.team.id}/channels`)).toBe(
      true,
    );

    const busyFrom = lastSeq(h.sandbox);
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot add one thing");
    await h.replyTo(post, { timeoutMs: INTERVAL_MS + 1_000 });
    const reads = botCalls(h.sandbox, busyFrom).filter(
      (e) => e.method === "GET" && /\/channels\/[a-z0-9]+\/posts\?since=/.test(e.url),
    );
    expect(reads.map((e) => e.url.split("/")[4])).toEqual([h.seed.channels.ops.id]);
    expect(source().last?.ok).toBe(true);
  });
});
