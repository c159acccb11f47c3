/**
 * Regressions found by the fuzz suite (test/fuzz/websocket.fuzz.test.ts): frames a broken or
 * hostile server sends do not deafen the receiver, and it keeps delivering valid posts.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MattermostApiError } from "../../src/errors.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { WebSocketReceiver, type InboundEvent } from "../../src/mattermost/websocket.js";
import { waitUntil } from "../helpers/processes.js";
import { json, startScriptedServer } from "./scripted-server.js";
import {
  helloFrame,
  postedFrame,
  startScriptedWsServer,
  type ScriptedWsServer,
} from "./scripted-ws-server.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function connected(
  script: (ws: import("ws").WebSocket, n: number) => void,
  timings: { pingIntervalMs?: number; pongTimeoutMs?: number } = {},
) {
  const server: ScriptedWsServer = await startScriptedWsServer();
  cleanups.push(() => server.close());
  let n = 0;
  server.onConnection = (ws) => script(ws, ++n);
  const events: InboundEvent[] = [];
  const receiver = new WebSocketReceiver({
    url: server.url,
    token: "tok",
    client: new MattermostClient({ url: server.url, token: "tok", retry: { attempts: 1 } }),
    onEvent: (e) => events.push(e),
    backoff: { initialMs: 20, maxMs: 100 },
    ...timings,
  });
  cleanups.push(() => receiver.stop());
  await receiver.start();
  return { server, events };
}

const post = (seq: number, id: string) =>
  postedFrame(seq, { id, channel_id: "c1", message: `post ${id}`, create_at: 1000 + seq });

describe("WebSocketReceiver under hostile frames", () => {
  it("ignores a seq that is not a non-negative safe integer (1e400 parsed as Infinity dropped every later event)", async () => {
    const { events } = await connected((ws) => {
      ws.send(helloFrame("conn1"));
      ws.send('{"event":"typing","data":{},"broadcast":{},"seq":1e400}');
      ws.send('{"event":"typing","data":{},"broadcast":{},"seq":-3}');
      ws.send(post(1, "p1"));
    });
    await waitUntil(() => events.some((e) => e.post?.id === "p1"), "the post after the bad seqs");
    expect(events.map((e) => e.seq)).toEqual([undefined, undefined, 1]);
  });

  it("drops a connection that broke the protocol and reconnects, without waiting for the pong timeout", async () => {
    const { server, events } = await connected(
      (ws, n) => {
        ws.send(helloFrame(`conn${n}`));
        if (n === 1)
          (ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
            Buffer.from([0x83, 0x00]),
          ); // reserved opcode
        else ws.send(post(1, "after"));
      },
      { pingIntervalMs: 60_000, pongTimeoutMs: 60_000 }, // the dead-socket check cannot be what ends the broken one
    );
    await waitUntil(
      () => events.some((e) => e.post?.id === "after"),
      "the post on the new connection",
    );
    expect(server.upgrades).toHaveLength(2);
  });

  it("drops a frame over 16 MiB (ws would take 100 MiB) by reconnecting, and delivers the next post", async () => {
    const { server, events } = await connected((ws, n) => {
      ws.send(helloFrame(`conn${n}`));
      if (n === 1) ws.send(post(1, "x".repeat(16 * 1024 * 1024)));
      else ws.send(post(1, "after"));
    });
    await waitUntil(
      () => events.some((e) => e.post?.id === "after"),
      "the post on the new connection",
    );
    expect(server.upgrades).toHaveLength(2);
    expect(events.filter((e) => e.event === "posted").map((e) => e.post?.id)).toEqual(["after"]);
  });

  it("passes a posted event with a malformed post on as a plain event, then delivers the next valid post", async () => {
    const broken = (postJson: unknown, seq: number) =>
      JSON.stringify({
        event: "posted",
        data: { post: postJson },
        broadcast: { omit_users: null, user_id: "", channel_id: "c1", team_id: "" },
        seq,
      });
    const { events } = await connected((ws) => {
      ws.send(helloFrame("conn1"));
      ws.send(
        broken(
          JSON.stringify({ id: "b1", channel_id: "c1", user_id: "u", message: 42, create_at: 1 }),
          1,
        ),
      );
      ws.send(
        broken(JSON.stringify({ id: "b2", channel_id: "c1", message: "no user", create_at: 1 }), 2),
      );
      ws.send(broken("{", 3));
      ws.send(post(4, "ok"));
    });
    await waitUntil(() => events.some((e) => e.post?.id === "ok"), "the valid post");
    expect(events.map((e) => [e.event, e.post?.id])).toEqual([
      ["posted", undefined],
      ["posted", undefined],
      ["posted", undefined],
      ["posted", "ok"],
    ]);
  });
});

describe("WebSocketReceiver and odd connection ids", () => {
  it("does not resume with a connection id no server makes (a 20 kB id got every reconnect refused with 431)", async () => {
    const { server, events } = await connected((ws, n) => {
      if (n === 1) {
        ws.send(
          JSON.stringify({
            event: "hello",
            data: { connection_id: "x".repeat(20_000) },
            broadcast: {},
            seq: 0,
          }),
        );
        setTimeout(() => ws.terminate(), 20);
      } else {
        ws.send(helloFrame("conn2"));
        ws.send(post(1, "after"));
      }
    });
    await waitUntil(
      () => events.some((e) => e.post?.id === "after"),
      "the post on the second connection",
    );
    expect(server.upgrades.map((u) => u.url)).toEqual(["/api/v4/websocket", "/api/v4/websocket"]);
  });

  it("opens a new connection when the server refuses the resume itself (a 4xx other than 401/403)", async () => {
    const server: ScriptedWsServer = await startScriptedWsServer();
    cleanups.push(() => server.close());
    server.onUpgrade = (upgrade) => (upgrade.url.includes("connection_id") ? 400 : "accept");
    let n = 0;
    server.onConnection = (ws) => {
      ws.send(helloFrame(`conn${++n}`));
      ws.send(post(1, `p${n}`));
      if (n === 1) setTimeout(() => ws.terminate(), 20);
    };
    const events: InboundEvent[] = [];
    const receiver = new WebSocketReceiver({
      url: server.url,
      token: "tok",
      client: new MattermostClient({ url: server.url, token: "tok", retry: { attempts: 1 } }),
      onEvent: (e) => events.push(e),
      backoff: { initialMs: 20, maxMs: 100 },
    });
    cleanups.push(() => receiver.stop());
    await receiver.start();
    await waitUntil(() => events.some((e) => e.post?.id === "p2"), "the post on a new connection");
    expect(server.upgrades.map((u) => u.url)).toEqual([
      "/api/v4/websocket",
      "/api/v4/websocket?connection_id=conn1&sequence_number=2",
      "/api/v4/websocket",
    ]);
  });
});

describe("MattermostClient with a hostile id", () => {
  it("rejects (never throws synchronously) for an id with a lone surrogate, so callers' .catch() holds", async () => {
    const rest = await startScriptedServer();
    cleanups.push(() => rest.close());
    rest.script(
      json(404, {
        id: "app.user.missing_account.const",
        message: "Unable to find the user.",
        status_code: 404,
      }),
    );
    const client = new MattermostClient({ url: rest.url, token: "tok", retry: { attempts: 1 } });
    let pending: Promise<unknown> | undefined;
    expect(() => (pending = client.getUser("u\ud800"))).not.toThrow();
    await expect(pending).rejects.toBeInstanceOf(MattermostApiError);
    expect(rest.requests[0]?.url).toBe("/api/v4/users/u%EF%BF%BD");
  });
});
