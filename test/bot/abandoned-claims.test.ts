/**
 * An instance killed between claiming a post and finishing it (found by `npm run chaos`: a
 * SIGKILL mid-handling left a claim nobody finished, and the post was never answered). The claim
 * is taken over once its lease runs out, and the answer is the one the first run stored.
 */
import { afterEach, describe, expect, it } from "vitest";
import { postClaimId } from "../../src/bot/claims.js";
import { openStore } from "../../src/store/index.js";
import { unfinishedClaims } from "../helpers/claims.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { waitUntil } from "../helpers/processes.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Stops the bot, posts, and leaves what a killed instance leaves in the store for that post. */
async function leftByAKilledInstance(harness: Harness, message: string, storedAnswer?: string) {
  await harness.bot.stop();
  const post = harness.say("alice", harness.seed.channels.ops.id, message);
  const store = await openStore(harness.storeUrl);
  try {
    expect(await store.claims.claim(postClaimId(post.id), "killed-instance")).toBe(true);
    if (storedAnswer !== undefined) {
      await store.outbox.enqueue([
        {
          kind: "post",
          channel_id: post.channel_id,
          root_id: post.id,
          user_id: "",
          message: storedAnswer,
          once: { scope: postClaimId(post.id), seq: 0 },
        },
      ]);
    }
  } finally {
    await store.close();
  }
  return post;
}

describe("a post whose claim was abandoned", () => {
  it("is answered once by the next instance when the killed one never stored an answer", async () => {
    h = await startHarness({ bot: { claimLeaseMs: 500 } });
    const post = await leftByAKilledInstance(h, "@todobot add left behind");
    await h.restartBot();
    const reply = await h.replyTo(post, { timeoutMs: 10_000 });
    expect(reply.message).toBe("Added #1: left behind");
    await waitUntil(() => h!.botPostsInThread(post).length >= 1, "the answer is in the thread");
    await new Promise((r) => setTimeout(r, 1_500)); // three leases: a second take-over would show
    expect(h.botPostsInThread(post).map((p) => p.message)).toEqual(["Added #1: left behind"]);
    expect(await unfinishedClaims(h.storeUrl)).toBe(0);
  });

  it("gets the answer the killed instance stored, not a second one from running the handler again", async () => {
    h = await startHarness({ bot: { claimLeaseMs: 500 } });
    const post = await leftByAKilledInstance(
      h,
      "@todobot add stored before the kill",
      "the answer of the first run",
    );
    await h.restartBot();
    await waitUntil(
      () => h!.botPostsInThread(post).length >= 1,
      "the answer is in the thread",
      10_000,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(h.botPostsInThread(post).map((p) => p.message)).toEqual(["the answer of the first run"]);
    expect(await unfinishedClaims(h.storeUrl)).toBe(0);
  });

  it("is read back once while it waits behind a busy channel, not at every look for abandoned claims", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let slowRuns = 0;
    const gets: string[] = [];
    const counting: typeof fetch = (input, init) => {
      if ((init?.method ?? "GET") === "GET")
        gets.push(new URL(input instanceof Request ? input.url : String(input)).pathname);
      return fetch(input, init);
    };
    h = await startHarness({
      bot: { claimLeaseMs: 300, fetch: counting },
      setup: (bot) => {
        bot.command("slow", async (ctx) => {
          slowRuns++;
          await held;
          await ctx.reply("slow done");
        });
        bot.command("again", (ctx) => ctx.reply("answered again"));
      },
    });
    const ops = h.seed.channels.ops.id;
    const slow = h.say("alice", ops, "@todobot slow");
    await waitUntil(() => slowRuns === 1, "the slow handler holds the channel");
    // a post of the busy channel claimed by an instance that is killed at once
    const post = h.say("alice", ops, "@todobot again");
    const store = await openStore(h.storeUrl);
    try {
      expect(await store.claims.claim(postClaimId(post.id), "killed-instance")).toBe(true);
    } finally {
      await store.close();
    }
    await new Promise((r) => setTimeout(r, 1_500)); // five leases: fifty looks for abandoned claims
    release();
    await h.replyTo(slow);
    await waitUntil(() => h!.botPostsInThread(post).length >= 1, "the post taken over is answered");
    expect(gets.filter((path) => path === `/api/v4/posts/${post.id}`).length).toBeLessThanOrEqual(
      2,
    );
    expect(h.botPostsInThread(post).map((p) => p.message)).toEqual(["answered again"]);
  });

  it("is left alone while its owner is alive and working, however long the handler takes", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let runs = 0;
    h = await startHarness({
      bot: { claimLeaseMs: 300 },
      setup: (bot) =>
        bot.on("message", async (ctx) => {
          runs++;
          await held;
          await ctx.reply("done after a long while");
        }),
    });
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot slow");
    await waitUntil(() => runs === 1, "the handler runs");
    await new Promise((r) => setTimeout(r, 1_500)); // five leases, each renewed
    release();
    await h.replyTo(post);
    expect(runs).toBe(1);
    expect(h.botPostsInThread(post).map((p) => p.message)).toEqual(["done after a long while"]);
  });
});
