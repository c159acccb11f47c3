/**
 * `mmbot start` (a child process) behind a TCP proxy that refuses the WebSocket upgrade while
 * REST passes, as corporate proxies do (403, 502…): the bot must tell that from a refused
 * token (it asks REST with the same token), answer by polling at once with the default
 * transport, go back to the WebSocket when the path heals, and with transport = "websocket"
 * say what is wrong and keep trying the socket without polling.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FaultProxy } from "../../bench/fault-proxy.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { killBotProcesses, startBotProcess, type BotProcess } from "../helpers/bot-process.js";

let sandbox: Sandbox;
let seed: SeedResult;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
});
afterEach(async () => {
  killBotProcesses();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => sandbox.close());

async function proxy(): Promise<FaultProxy> {
  const p = await FaultProxy.start(sandbox.url);
  cleanups.push(() => p.close());
  return p;
}

/** A mention by alice in ops; resolves with the bot's answer in its thread. */
async function mention(text: string, timeoutMs: number): Promise<string> {
  const post = sandbox.post(seed.users.alice.user.id, {
    channel_id: seed.channels.ops.id,
    message: `@todobot add ${text}`,
  });
  const reply = await sandbox.waitForPost(
    (p) => p.user_id === seed.bot.user.id && p.root_id === post.id,
    { timeoutMs },
  );
  return reply.message;
}

const refusalLines = (bot: BotProcess, status: number) =>
  bot.lines.filter((l) => l.text.includes(`upgrade is refused with HTTP ${status}`));

describe("an upgrade refused by a proxy while REST passes (transport auto, the default)", () => {
  for (const status of [403, 502]) {
    it(`HTTP ${status}: polling takes over at once, said in one line with the status, and a mention is answered within seconds`, async () => {
      const p = await proxy();
      p.refuseUpgrades(status);
      const bot = startBotProcess({ url: p.url, token: seed.bot.token });
      await bot.waitForLine(/connected as @todobot/, 20_000);
      // within a polling round or two (bench:recovery's figure is ≤ 4 s); before, a 403 was taken for a bad token: no answer for a minute
      expect(await mention(`behind a ${status}`, 10_000)).toBe(`Added #1: behind a ${status}`);
      const line = await bot.waitForLine(
        new RegExp(`upgrade is refused with HTTP ${status}.*polling took over`),
      );
      expect(line).toMatch(/REST accepts the token/);
      expect(bot.output()).not.toMatch(/refuses the token|token was refused/);
      // the socket is tried again in the background, and the refusal is not said again at each try
      const tried = p.counts.upgradesRefused;
      await expect.poll(() => p.counts.upgradesRefused, { timeout: 10_000 }).toBeGreaterThan(tried);
      expect(refusalLines(bot, status)).toHaveLength(1);
    });
  }

  it("goes back to the WebSocket once the proxy lets the upgrade through", async () => {
    const p = await proxy();
    p.refuseUpgrades(403);
    const bot = startBotProcess({ url: p.url, token: seed.bot.token });
    await bot.waitForLine(/polling: every/, 20_000);
    expect(await mention("by polling first", 10_000)).toMatch(/by polling first/);
    p.heal();
    // the next try comes within a fifth of the outage so far (capped at 30 s), not a minute later
    await bot.waitForLine(/auto: the WebSocket works again/, 20_000);
    await bot.waitForLine(/websocket: connected/, 5_000);
    expect(await mention("over the socket again", 10_000)).toMatch(/over the socket again/);
  });
});

describe('an upgrade refused by a proxy with transport = "websocket"', () => {
  it("says the proxy refuses WebSockets (not the token), keeps trying the socket with backoff, never polls, and connects once healed", async () => {
    const p = await proxy();
    p.refuseUpgrades(403);
    const bot = startBotProcess({
      url: p.url,
      token: seed.bot.token,
      env: { MATTERMOST_TRANSPORT: "websocket" },
    });
    const line = await bot.waitForLine(/upgrade is refused with HTTP 403/, 20_000);
    expect(line).toMatch(
      /REST accepts the token: something between the bot and the server \(a proxy\?\) refuses WebSockets; trying again with backoff/,
    );
    // tried again within seconds, where a refused token waits a minute
    await expect
      .poll(() => p.counts.upgradesRefused, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(3);
    expect(refusalLines(bot, 403)).toHaveLength(1);
    expect(bot.output()).not.toMatch(/polling|refuses the token|token was refused/);
    p.heal();
    await bot.waitForLine(/connected as @todobot/, 20_000);
    expect(await mention("once the proxy heals", 10_000)).toMatch(/once the proxy heals/);
  });
});
