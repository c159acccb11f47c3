/**
 * The cursor kept in the store never passes a post handed to the bot and not yet taken (found by
 * `npm run chaos`: after a long outage the posts queued in the channels' queues were past the
 * saved cursor; a SIGKILL then lost them, since the next start read only from that cursor).
 */
import { afterEach, describe, expect, it } from "vitest";
import { MattermostClient } from "../../src/mattermost/rest.js";
import type { MessageEnvelope } from "../../src/bot/envelope.js";
import type { CatchUpCursor } from "../../src/sources/catch-up.js";
import { WebSocketFeed } from "../../src/sources/websocket.js";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { waitUntil } from "../helpers/processes.js";
import { helloFrame, postedFrame, startScriptedWsServer } from "./scripted-ws-server.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("the saved catch-up cursor", () => {
  it("stays below the oldest post still being taken, and moves on once it is taken", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    const seed = sandbox.seed();
    const saved: number[] = [];
    const cursor: CatchUpCursor = {
      load: async () => undefined,
      save: async (ms) => void saved.push(ms),
    };
    const holds: (() => void)[] = [];
    const taken: MessageEnvelope[] = [];
    const receiver = new WebSocketFeed({
      url: sandbox.url,
      token: seed.bot.token,
      client: new MattermostClient({ url: sandbox.url, token: seed.bot.token }),
      cursor,
      // a pipeline with a queue: each post is taken only when released
      onEnvelope: (event) => {
        if (event.kind !== "message") return;
        taken.push(event);
        return new Promise<void>((resolve) => holds.push(resolve));
      },
    });
    cleanups.push(() => receiver.stop());
    await receiver.start();
    // past the save interval: the first post's cursor move saves at once, and must already see it as unsettled
    await new Promise((r) => setTimeout(r, 1_100));
    const posts: Post[] = [];
    for (const n of [1, 2, 3]) {
      posts.push(
        sandbox.post(seed.users.alice.user.id, {
          channel_id: seed.channels.ops.id,
          message: `queued ${n}`,
        }),
      );
      await new Promise((r) => setTimeout(r, 5)); // each its own millisecond: the cursor is a create_at
    }
    await waitUntil(() => taken.length === 3, "the three posts are handed over");
    await new Promise((r) => setTimeout(r, 1_300)); // past the cursor's save interval
    expect(saved.length).toBeGreaterThan(0);
    expect(Math.max(...saved)).toBeLessThan(posts[0]!.create_at);

    holds[0]!();
    await waitUntil(
      () => saved.some((ms) => ms >= posts[0]!.create_at),
      "the cursor passes the first post once it is taken",
      3_000,
    );
    expect(Math.max(...saved)).toBeLessThan(posts[1]!.create_at);
    for (const release of holds.slice(1)) release();
    await waitUntil(
      () => saved.some((ms) => ms >= posts[2]!.create_at),
      "the cursor passes the last post",
      3_000,
    );
  });

  it("stays at a catch-up still owed (its reads failing) while newer posts arrive live", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    const seed = sandbox.seed();
    const before = Date.now() - 60_000; // a cursor from a previous run: the start catches up from it
    const saved: number[] = [];
    const cursor: CatchUpCursor = {
      load: async () => before,
      save: async (ms) => void saved.push(ms),
    };
    sandbox.faults.failRest({ path: "^/api/v4/users/me/teams$", answer: 500, count: 1_000 });
    const live: MessageEnvelope[] = [];
    const receiver = new WebSocketFeed({
      url: sandbox.url,
      token: seed.bot.token,
      client: new MattermostClient({
        url: sandbox.url,
        token: seed.bot.token,
        retry: { attempts: 1 },
      }),
      cursor,
      catchUpOverlapMs: 2_000,
      onEnvelope: (event) => void (event.kind === "message" && live.push(event)),
    });
    cleanups.push(() => receiver.stop());
    await receiver.start();
    const post = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "live while the catch-up fails",
    });
    await waitUntil(() => live.length === 1, "the live post");
    await new Promise((r) => setTimeout(r, 1_300));
    expect(saved.every((ms) => ms <= before)).toBe(true);
    sandbox.faults.clear();
    await waitUntil(
      () => saved.some((ms) => ms >= post.create_at),
      "the cursor moves on once the catch-up is done",
      8_000,
    );
  });

  it("is not moved by a post dated far ahead (a system admin may set create_at): later catch-ups still start from now", async () => {
    const server = await startScriptedWsServer();
    cleanups.push(() => server.close());
    const now = Date.now();
    const nextYear = now + 365 * 24 * 3600_000;
    server.onConnection = (ws) => {
      ws.send(helloFrame("conn1"));
      ws.send(
        postedFrame(1, {
          id: "future",
          channel_id: "c1",
          message: "from the future",
          create_at: nextYear,
        }),
      );
      ws.send(
        postedFrame(2, {
          id: "present",
          channel_id: "c1",
          message: "from now",
          create_at: now + 1,
        }),
      );
    };
    const saved: number[] = [];
    const taken: string[] = [];
    const receiver = new WebSocketFeed({
      url: server.url,
      token: "tok",
      client: new MattermostClient({ url: server.url, token: "tok", retry: { attempts: 1 } }),
      watchedChannels: async () => [],
      cursor: { load: async () => undefined, save: async (ms) => void saved.push(ms) },
      onEnvelope: (event) => void (event.kind === "message" && taken.push(event.post.id)),
    });
    cleanups.push(() => receiver.stop());
    await receiver.start();
    await waitUntil(() => taken.length === 2, "both posts are handed over");
    await receiver.stop(); // saves the cursor
    expect(taken).toEqual(["future", "present"]);
    expect(Math.max(...saved)).toBeGreaterThanOrEqual(now + 1);
    expect(Math.max(...saved)).toBeLessThan(nextYear);
  });
});
