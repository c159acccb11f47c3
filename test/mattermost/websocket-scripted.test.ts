/**
 * The receiver against small real servers that misbehave on purpose: refusals, deaf sockets,
 * resumes, replays with gaps. The sandbox tests cover a faithful server.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MattermostClient } from "../../src/mattermost/rest.js";
import type { Envelope } from "../../src/bot/envelope.js";
import {
  WebSocketReceiver,
  type ConnectionState,
  type InboundEvent,
  type WebSocketReceiverOptions,
} from "../../src/mattermost/websocket.js";
import { memoryCursor } from "../../src/sources/catch-up.js";
import { WebSocketFeed, type WebSocketFeedOptions } from "../../src/sources/websocket.js";
import { json, startScriptedServer, type ScriptedServer } from "./scripted-server.js";
import {
  helloFrame,
  postedFrame,
  startScriptedWsServer,
  type ScriptedWsServer,
} from "./scripted-ws-server.js";
import { waitUntil } from "../helpers/processes.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function wsServer(options?: { autoPong?: boolean }): Promise<ScriptedWsServer> {
  const server = await startScriptedWsServer(options);
  cleanups.push(() => server.close());
  return server;
}

function receiver(
  server: { url: string },
  extra: Partial<WebSocketReceiverOptions> & { restUrl?: string } = {},
) {
  const events: InboundEvent[] = [];
  const states: ConnectionState[] = [];
  const client = new MattermostClient({
    url: extra.restUrl ?? server.url,
    token: "tok",
    retry: { attempts: 1 },
  });
  const r = new WebSocketReceiver({
    url: server.url,
    token: "tok",
    client,
    onEvent: (e) => events.push(e),
    onStateChange: (s) => states.push(s),
    pingIntervalMs: 100,
    backoff: { initialMs: 20, maxMs: 100 },
    authFailureDelayMs: 100,
    ...extra,
  });
  cleanups.push(() => r.stop());
  return { r, events, states };
}

/** The receiver with its REST catch-up (channel c1), as the WebSocket source runs it. */
function feed(
  server: { url: string },
  extra: Partial<WebSocketFeedOptions> & { restUrl?: string } = {},
) {
  const events: Envelope[] = [];
  const states: ConnectionState[] = [];
  let watchedCalls = 0;
  const client = new MattermostClient({
    url: extra.restUrl ?? server.url,
    token: "tok",
    retry: { attempts: 1 },
  });
  const r = new WebSocketFeed({
    url: server.url,
    token: "tok",
    client,
    onEnvelope: (e) => events.push(e),
    onStateChange: (s) => states.push(s),
    watchedChannels: async () => {
      watchedCalls++;
      return ["c1"];
    },
    pingIntervalMs: 100,
    backoff: { initialMs: 20, maxMs: 100 },
    authFailureDelayMs: 100,
    ...extra,
  });
  cleanups.push(() => r.stop());
  return { r, events, states, watched: () => watchedCalls };
}

const postOf = (e: Envelope) => (e.kind === "message" ? e.post : undefined);

/** A REST server that answers `?since=` for channel c1 with `posts`. */
async function restWithPosts(
  posts: { id: string; create_at: number; message: string; channel_id?: string }[],
): Promise<ScriptedServer> {
  const rest = await startScriptedServer();
  cleanups.push(() => rest.close());
  rest.script((req, res) => {
    if (req.url.startsWith("/api/v4/channels/c1/posts")) {
      const since = Number(new URL(req.url, "http://x").searchParams.get("since"));
      const list = posts.filter((p) => p.create_at >= since - 60_000); // like the server: edited posts come too
      return json(200, {
        order: list.map((p) => p.id),
        posts: Object.fromEntries(
          list.map((p) => [
            p.id,
            { channel_id: "c1", user_id: "alice", root_id: "", delete_at: 0, ...p },
          ]),
        ),
      })(req, res);
    }
    if (req.url === "/api/v4/channels/c1")
      return json(200, { id: "c1", type: "O", name: "ops", display_name: "Ops", team_id: "t1" })(
        req,
        res,
      );
    if (req.url === "/api/v4/users/me")
      return json(200, { id: "bot", username: "todobot" })(req, res);
    if (req.url === "/api/v4/users/alice")
      return json(200, { id: "alice", username: "alice" })(req, res);
    return json(404, { id: "not_found", message: req.url })(req, res);
  });
  return rest;
}

describe("WebSocketReceiver (scripted servers)", () => {
  it("authenticates on the upgrade, resolves start() at hello and emits parsed posts once", async () => {
    const server = await wsServer();
    server.onConnection = (ws) => {
      ws.send(helloFrame("conn1"));
      ws.send(postedFrame(1, { id: "p1", channel_id: "c1", message: "hello", create_at: 1000 }));
      ws.send(postedFrame(2, { id: "p1", channel_id: "c1", message: "hello", create_at: 1000 }));
      ws.send(
        JSON.stringify({
          event: "typing",
          data: { parent_id: "" },
          broadcast: { omit_users: null, user_id: "", channel_id: "c1", team_id: "" },
          seq: 3,
        }),
      );
    };
    const { r, events } = receiver(server, {
      onEvent: (e) => (
        events.push(e),
        e.event === "posted"
          ? (() => {
              throw new Error("handler bug");
            })()
          : undefined
      ),
    });
    await r.start();
    expect(r.state).toBe("connected");
    expect(r.connectionId).toBe("conn1");
    expect(server.upgrades[0]).toEqual({ url: "/api/v4/websocket", authorization: "Bearer tok" });
    await waitUntil(() => events.length === 2, "two events");
    expect(events[0]).toMatchObject({
      source: "websocket",
      event: "posted",
      seq: 1,
      post: { id: "p1", message: "hello" },
      data: { channel_type: "O" },
    });
    expect(events[1]).toMatchObject({ event: "typing", seq: 3 });
  });

  it("resumes with connection_id and the next sequence number; replayed events arrive without catch-up", async () => {
    const server = await wsServer();
    server.onConnection = (ws, upgrade) => {
      if (upgrade.url === "/api/v4/websocket") {
        ws.send(helloFrame("conn1"));
        ws.send(postedFrame(1, { id: "p1", channel_id: "c1", message: "before", create_at: 1000 }));
        setTimeout(() => ws.terminate(), 50);
      } else {
        ws.send(postedFrame(2, { id: "p2", channel_id: "c1", message: "missed", create_at: 2000 }));
      }
    };
    const { r, events, states, watched } = feed(server);
    await r.start();
    await waitUntil(() => events.length === 2, "the replayed post");
    expect(server.upgrades[1]?.url).toBe("/api/v4/websocket?connection_id=conn1&sequence_number=2");
    expect(server.upgrades[1]?.authorization).toBe("Bearer tok");
    expect(events.map((e) => postOf(e)?.message)).toEqual(["before", "missed"]);
    expect(states).toEqual(["connecting", "connected", "reconnecting", "connected"]);
    expect(watched()).toBe(0);
  });

  it("catches up over REST when the server answers a resume with a new connection, emitting each post once", async () => {
    const t = Date.now() + 100; // create_at values a little after the receiver connects
    const rest = await restWithPosts([
      { id: "old", create_at: t - 100_000, message: "edited long ago" },
      { id: "p1", create_at: t, message: "before" },
      { id: "m2", create_at: t + 2, message: "missed B" },
      { id: "m1", create_at: t + 1, message: "missed A" },
    ]);
    const server = await wsServer();
    let n = 0;
    server.onConnection = (ws) => {
      ws.send(helloFrame(`conn${++n}`));
      if (n === 1) {
        ws.send(postedFrame(1, { id: "p1", channel_id: "c1", message: "before", create_at: t }));
        setTimeout(() => ws.terminate(), 50);
      }
    };
    const { r, events } = feed(server, { restUrl: rest.url, catchUpOverlapMs: 1_000 });
    await r.start();
    await waitUntil(() => events.length === 3, "the caught-up posts");
    expect(r.connectionId).toBe("conn2");
    expect(events.map((e) => [e.source, postOf(e)?.id])).toEqual([
      ["websocket", "p1"],
      ["catchup", "m1"],
      ["catchup", "m2"],
    ]);
    // described as the server's posted event would describe it
    expect(events[1]).toMatchObject({
      kind: "message",
      channel: { id: "c1", type: "O", name: "ops" },
      teamId: "t1",
      user: { id: "alice", name: "alice" },
      post: { id: "m1" },
    });
    expect(
      rest.requests.some((q) => q.url === `/api/v4/channels/c1/posts?since=${t - 1_000}`),
    ).toBe(true);
  });

  it("catches up when a resumed connection skips sequence numbers", async () => {
    const t = Date.now() + 100;
    const rest = await restWithPosts([
      { id: "lost", create_at: t + 1, message: "lost in the gap" },
    ]);
    const server = await wsServer();
    server.onConnection = (ws, upgrade) => {
      if (upgrade.url === "/api/v4/websocket") {
        ws.send(helloFrame("conn1"));
        ws.send(postedFrame(1, { id: "p1", channel_id: "c1", message: "before", create_at: t }));
        setTimeout(() => ws.terminate(), 50);
      } else
        ws.send(
          postedFrame(5, {
            id: "p5",
            channel_id: "c1",
            message: "after the gap",
            create_at: t + 2,
          }),
        );
    };
    const { r, events } = feed(server, { restUrl: rest.url, catchUpOverlapMs: 1_000 });
    await r.start();
    await waitUntil(() => events.some((e) => postOf(e)?.id === "lost"), "the post lost in the gap");
    expect(events.filter((e) => e.source === "websocket").map((e) => postOf(e)?.id)).toEqual([
      "p1",
      "p5",
    ]);
  });

  it("catches up at start from a stored cursor and saves the newest create_at on stop", async () => {
    const rest = await restWithPosts([
      { id: "edited", create_at: 1_000, message: "only edited since" },
      { id: "down1", create_at: 50_000, message: "posted while down" },
    ]);
    const server = await wsServer();
    server.onConnection = (ws) => ws.send(helloFrame("conn1"));
    const cursor = memoryCursor(49_000);
    const { r, events } = feed(server, { restUrl: rest.url, cursor, catchUpOverlapMs: 500 });
    await r.start();
    await waitUntil(() => events.length === 1, "the post made while down");
    expect(events[0]).toMatchObject({ source: "catchup", post: { id: "down1" } });
    await r.stop();
    expect(await cursor.load()).toBe(50_000);
    expect(r.state).toBe("stopped");
  });

  it("keeps a socket whose pong arrived while this process was stalled (timers run before the I/O that brings it)", async () => {
    const server = await wsServer();
    let pings = 0;
    server.onConnection = (ws) => {
      ws.send(helloFrame("conn1"));
      ws.on("ping", () => {
        // the pong is written already; a loaded machine, or a long GC, keeps this process from reading it
        if (++pings === 1) for (const end = Date.now() + 300; Date.now() < end; );
      });
    };
    const { r, states } = receiver(server, { pingIntervalMs: 50, pongTimeoutMs: 100 });
    await r.start();
    await waitUntil(() => pings >= 4, "pings after the stall");
    expect(states).toEqual(["connecting", "connected"]);
    expect(server.upgrades).toHaveLength(1);
  });

  it("detects a deaf socket (no frames, no pongs) and reconnects", async () => {
    const server = await wsServer({ autoPong: false });
    server.onConnection = (ws) => ws.send(helloFrame(`conn${server.upgrades.length}`));
    const { r, states } = receiver(server, { pingIntervalMs: 50, pongTimeoutMs: 200 });
    await r.start();
    await server.waitForUpgrades(2);
    expect(states).toContain("reconnecting");
    expect(server.upgrades[1]?.url).toContain("connection_id=conn1");
  });

  /** A REST server whose `GET /users/me` accepts the token or refuses it (401), as `accepts()` says at each call. */
  async function restAccepting(accepts: () => boolean): Promise<ScriptedServer> {
    const rest = await startScriptedServer();
    cleanups.push(() => rest.close());
    rest.script((req, res) =>
      req.url === "/api/v4/users/me" && accepts()
        ? json(200, { id: "bot", username: "todobot" })(req, res)
        : json(401, {
            id: "api.context.session_expired.app_error",
            message: "Invalid or expired session, please login again.",
            status_code: 401,
          })(req, res),
    );
    return rest;
  }

  it("reports auth_failed when the upgrade and REST both refuse the token, and keeps trying slowly until it works", async () => {
    const server = await wsServer();
    let refuse = true;
    server.onUpgrade = () => (refuse ? 401 : "accept");
    server.onConnection = (ws) => ws.send(helloFrame("conn1"));
    const rest = await restAccepting(() => !refuse);
    const { r, states } = receiver(server, { restUrl: rest.url });
    const started = r.start();
    await waitUntil(() => states.includes("auth_failed"), "auth_failed");
    expect(r.state).toBe("auth_failed");
    refuse = false;
    await started;
    expect(r.state).toBe("connected");
  });

  it("a socket the server closes before its hello (a real server's answer to a token it refuses) is told as a refused token when REST answers 401", async () => {
    const server = await wsServer();
    let refuse = true;
    server.onConnection = (ws) => (refuse ? ws.close() : ws.send(helloFrame("conn1")));
    const rest = await restAccepting(() => !refuse);
    const { r, states } = receiver(server, { restUrl: rest.url });
    const started = r.start();
    await waitUntil(() => states.includes("auth_failed"), "auth_failed");
    expect(states).not.toContain("upgrade_refused");
    refuse = false;
    await started;
    expect(r.state).toBe("connected");
  });

  for (const status of [403, 502]) {
    it(`an upgrade refused with ${status} while REST accepts the token is upgrade_refused, retried with backoff, not after the token's long wait`, async () => {
      const server = await wsServer();
      let refuse = true;
      server.onUpgrade = () => (refuse ? status : "accept");
      server.onConnection = (ws) => ws.send(helloFrame("conn1"));
      const rest = await restAccepting(() => true);
      // a refused token would wait a minute: the refusal must not be taken for one
      const { r, states } = receiver(server, { restUrl: rest.url, authFailureDelayMs: 60_000 });
      const started = r.start();
      await server.waitForUpgrades(3);
      expect(states).toContain("upgrade_refused");
      expect(states).not.toContain("auth_failed");
      expect(
        rest.requests.filter((q) => q.url === "/api/v4/users/me").length,
      ).toBeGreaterThanOrEqual(1);
      refuse = false;
      await started;
      expect(r.state).toBe("connected");
    });
  }

  it("stop() ends reconnecting and rejects a start() that never connected", async () => {
    const server = await wsServer();
    server.onUpgrade = () => 503;
    const { r, states } = receiver(server);
    const started = r.start();
    await server.waitForUpgrades(2);
    await r.stop();
    await expect(started).rejects.toThrow(/stopped before it connected/);
    const seen = server.upgrades.length;
    await new Promise((res) => setTimeout(res, 300));
    expect(server.upgrades.length).toBe(seen);
    expect(states.at(-1)).toBe("stopped");
  });

  it("sends actions and resolves with the server's reply", async () => {
    const server = await wsServer();
    server.onConnection = (ws) => {
      ws.send(helloFrame("conn1"));
      ws.on("message", (raw) => {
        const msg = JSON.parse(raw.toString()) as { seq: number; action: string };
        ws.send(JSON.stringify({ status: "OK", seq_reply: msg.seq, data: { action: msg.action } }));
      });
    };
    const { r } = receiver(server);
    await r.start();
    await expect(
      r.sendAction("user_typing", { channel_id: "c1", parent_id: "" }),
    ).resolves.toMatchObject({ status: "OK", data: { action: "user_typing" } });
  });
});
