/**
 * A first start (an empty store) answers what was posted since the process started, even while
 * it could not reach the server yet, and nothing older. `mmbot start` in a child process, reaching
 * the sandbox through a fault proxy that refuses every connection at first.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy } from "../../bench/fault-proxy.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { freshStore, killBotProcesses, startBotProcess } from "../helpers/bot-process.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  killBotProcesses();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A seeded sandbox, reached through a fault proxy; both closed after the test. */
async function proxiedSandbox() {
  const sandbox = await Sandbox.start();
  cleanups.push(() => sandbox.close());
  const seed = sandbox.seed();
  const proxy = await FaultProxy.start(sandbox.url);
  cleanups.push(() => proxy.close());
  return { sandbox, seed, alice: seed.users.alice.user.id, channel: seed.channels.ops.id, proxy };
}

describe.each(["websocket", "polling"])("first start over %s", (transport) => {
  it("answers a message posted while the bot was starting (server not reachable yet), not one posted before the process started", async () => {
    const { sandbox, seed, alice, channel, proxy } = await proxiedSandbox();

    sandbox.post(alice, { channel_id: channel, message: "@todobot add from before the start" });
    await new Promise((r) => setTimeout(r, 50)); // the post is older than the process, by a clock tick at least
    proxy.cut(); // the server cannot be reached while the bot starts
    const bot = startBotProcess({
      url: proxy.url,
      token: seed.bot.token,
      env: { MATTERMOST_TRANSPORT: transport },
    });
    await bot.waitForLine(/cannot reach http:\/\/127\.0\.0\.1:\d+: /);
    const during = sandbox.post(alice, {
      channel_id: channel,
      message: "@todobot add while it was starting",
    });
    proxy.heal();
    await bot.waitForLine(/reached http:\/\/127\.0\.0\.1:\d+ after \d+ s/); // said once it answers
    await bot.waitForLine(/connected to/);

    const reply = await sandbox.waitForPost(
      (p) => p.user_id === seed.bot.user.id && p.root_id === during.id,
      { timeoutMs: 10_000 },
    );
    expect(reply.message).toBe("Added #1: while it was starting");
    // the older one stays unanswered (and nothing else was added)
    await new Promise((r) => setTimeout(r, 500));
    const botPosts = sandbox.channelPosts(channel).filter((p) => p.user_id === seed.bot.user.id);
    expect(botPosts.map((p) => p.root_id)).toEqual([during.id]);
  });
});

describe("a first start killed before its socket said hello", () => {
  it("leaves its start in the store: the next start answers what was posted in between", async () => {
    const { sandbox, seed, alice, channel, proxy } = await proxiedSandbox();
    const store = freshStore();

    proxy.refuseUpgrades(403); // REST passes, the socket never connects
    const first = startBotProcess({
      url: proxy.url,
      token: seed.bot.token,
      store,
      env: { MATTERMOST_TRANSPORT: "websocket" },
    });
    await first.waitForLine(/refuses WebSocket|upgrade/i);
    await first.kill("SIGKILL");
    const between = sandbox.post(alice, {
      channel_id: channel,
      message: "@todobot add between the two starts",
    });
    await new Promise((r) => setTimeout(r, 50));

    proxy.heal();
    const second = startBotProcess({
      url: proxy.url,
      token: seed.bot.token,
      store,
      env: { MATTERMOST_TRANSPORT: "websocket" },
    });
    await second.waitForLine(/connected to/);
    const reply = await sandbox.waitForPost(
      (p) => p.user_id === seed.bot.user.id && p.root_id === between.id,
      { timeoutMs: 10_000 },
    );
    expect(reply.message).toBe("Added #1: between the two starts");
  });
});
