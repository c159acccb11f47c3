/**
 * The rate budget against the sandbox's rate limit (the server's GCRA per token, over real
 * HTTP): a burst of work waits instead of being refused, and every message is answered once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { WebSocketSource } from "../../src/sources/websocket.js";

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function limitedSandbox(perSec: number, maxBurst: number) {
  const sandbox = await Sandbox.start({ rateLimit: { perSec, maxBurst } });
  cleanups.push(() => sandbox.close());
  return { sandbox, seed: sandbox.seed() };
}

/** Counts the answers a client got, by status. */
function statuses() {
  const seen = new Map<number, number>();
  return {
    seen,
    observer: {
      response: (_method: string, status: number) =>
        void seen.set(status, (seen.get(status) ?? 0) + 1),
    },
  };
}

describe("rate budget against the sandbox's rate limit", () => {
  it("sends a burst of 20 calls to a server limited to 5/s (burst 3) with no refusal; without a budget, the server refuses some", async () => {
    const { sandbox, seed } = await limitedSandbox(5, 3);
    const paced = statuses();
    const client = new MattermostClient({
      url: sandbox.url,
      token: seed.bot.token,
      observer: paced.observer,
    });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => client.request<{ id: string }>("GET", "/users/me")),
    );
    expect(answers.every((a) => a.id === seed.bot.user.id)).toBe(true);
    expect(paced.seen.get(429)).toBeUndefined();
    expect(paced.seen.get(200)).toBe(20);

    const unpaced = statuses();
    const other = new MattermostClient({
      url: sandbox.url,
      token: seed.users.alice.token,
      observer: unpaced.observer,
      maxRequestsPerSecond: 0,
      retry: { attempts: 1 },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => other.request("GET", "/users/me")),
    );
    expect(unpaced.seen.get(429)).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === "rejected").length).toBe(unpaced.seen.get(429));
  });

  it("shares one budget between the clients of a token: two clients together stay under the limit", async () => {
    const { sandbox, seed } = await limitedSandbox(5, 2);
    const seen = statuses();
    const clients = [0, 1].map(
      () =>
        new MattermostClient({ url: sandbox.url, token: seed.bot.token, observer: seen.observer }),
    );
    await Promise.all(
      clients.flatMap((c) => Array.from({ length: 6 }, () => c.request("GET", "/users/me"))),
    );
    expect(seen.seen.get(429)).toBeUndefined();
    expect(seen.seen.get(200)).toBe(12);
  });

  it("a bot answers a burst of 15 mentions once each, with no request refused by the server", async () => {
    const { sandbox, seed } = await limitedSandbox(5, 5);
    const seen = statuses();
    const bot = new Bot({
      url: sandbox.url,
      token: seed.bot.token,
      store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-budget-")), "bot.db")}`,
      policy: { allowedUsers: "*" },
      observer: { rest: seen.observer },
      typingDelayMs: 0, // typing as soon as a handler runs: the budget must skip it rather than delay replies
    });
    bot.on("message", (ctx) => ctx.reply(`got ${ctx.post.message}`));
    await bot.start(new WebSocketSource());
    cleanups.push(() => bot.stop());
    const asked = Array.from({ length: 15 }, (_, i) =>
      sandbox.post(seed.users.alice.user.id, {
        channel_id: seed.channels.ops.id,
        message: `@todobot burst ${i}`,
      }),
    );
    const answered = () =>
      sandbox.channelPosts(seed.channels.ops.id).filter((p) => p.user_id === seed.bot.user.id);
    await sandbox.waitForPost(() => answered().length >= asked.length, { timeoutMs: 20_000 });
    await new Promise((resolve) => setTimeout(resolve, 500)); // time for a duplicate to show
    const roots = answered().map((p) => p.root_id);
    expect(new Set(roots).size).toBe(asked.length);
    expect(roots.sort()).toEqual(asked.map((p) => p.id).sort());
    expect(seen.seen.get(429)).toBeUndefined();
  });
});
