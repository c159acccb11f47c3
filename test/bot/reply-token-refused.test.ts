/**
 * A reply refused with 401 (the bot's token expired or was revoked while a handler ran) is not
 * given up: it stays in the outbox until a good token sends it, and the user sees one answer,
 * never "something went wrong". The sandbox refuses a revoked token as a real server does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import { openStore } from "../../src/store/index.js";
import { WebSocketSource } from "../../src/sources/websocket.js";
import { harnessWebSocketOptions, startHarness, type Harness } from "../helpers/harness.js";
import { until } from "../helpers/cli.js";
import { waitUntil } from "../helpers/processes.js";

let h: Harness | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  await h?.close();
  h = undefined;
});

describe("a reply whose token is refused", () => {
  it("stays in the outbox (not failed) and goes out, once, when the bot runs again with a good token", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let tokenA = "";
    let handling = false;
    h = await startHarness({
      bot: (sandbox, seed) => ({ token: (tokenA = sandbox.createAccessToken(seed.bot.user.id)) }),
      setup: (bot) =>
        void bot.command("slow", async (ctx) => {
          handling = true;
          await gate;
          await ctx.reply("the slow answer");
        }),
    });
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot slow");
    await waitUntil(() => handling, "the handler to have the post");
    h.sandbox.revokeToken(tokenA);
    release();

    const store = await openStore(h.storeUrl);
    cleanups.push(() => store.close());
    const entry = await until(
      async () => (await store.outbox.pending(10)).find((e) => e.last_error),
      "the refused try recorded",
    );
    expect(entry.last_error).toMatch(/401/);
    await new Promise((r) => setTimeout(r, 500)); // a give-up would mark it failed by now
    expect((await store.outbox.pending(10)).map((e) => [e.message, e.status])).toEqual([
      ["the slow answer", "pending"],
    ]);
    await h.bot.stop();
    expect(h.botPostsInThread(post)).toEqual([]); // nothing went out, no "something went wrong"

    const again = new Bot({
      url: h.sandbox.url,
      token: h.sandbox.createAccessToken(h.seed.bot.user.id),
      store: h.storeUrl,
      policy: { allowedUsers: "*" },
    });
    await again.start(new WebSocketSource(harnessWebSocketOptions));
    cleanups.push(() => again.stop());
    const reply = await h.replyTo(post, { timeoutMs: 10_000 });
    expect(reply.message).toBe("the slow answer");
    await new Promise((r) => setTimeout(r, 300));
    expect(h.botPostsInThread(post).map((p) => p.message)).toEqual(["the slow answer"]);
  });
});
