/**
 * WebSocket actions a person's client sends, answered as the 5.37 server's wsapi does: `ping`
 * (the pong reply clients use as keep-alive), `get_statuses_by_ids`, and an unknown action.
 * (`user_typing` and `get_statuses` are compared with the recording in ws-contract.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { TestSocket } from "./ws-client.js";

let sandbox: Sandbox;
let seed: SeedResult;
let socket: TestSocket;

beforeAll(async () => {
  // the recorded frames (ping's version) are a 5.37 server's
  sandbox = await Sandbox.start({ version: "5.37" });
  seed = sandbox.seed();
  socket = await TestSocket.open(sandbox.url, { token: seed.users.alice.token, challenge: true });
  await socket.next((f) => f.json.seq_reply === 1);
});
afterAll(async () => {
  socket.close();
  await sandbox.close();
});

const replyTo = (seq: number) => socket.next((f) => f.json.seq_reply === seq);

describe("WebSocket actions", () => {
  it("ping: {status: OK, seq_reply, data: {node_id, server_time, text: pong, version}} in the server's key order", async () => {
    const before = Date.now();
    socket.send({ seq: 2, action: "ping" });
    const reply = await replyTo(2);
    expect(reply.raw).toMatch(
      /^\{"status":"OK","seq_reply":2,"data":\{"node_id":"","server_time":\d+,"text":"pong","version":"5\.37\.0"\}\}\n$/,
    );
    const serverTime = (reply.json.data as { server_time: number }).server_time;
    expect(serverTime).toBeGreaterThanOrEqual(before);
    expect(serverTime).toBeLessThanOrEqual(Date.now());
  });

  it("get_statuses_by_ids: each id's status, offline when unknown", async () => {
    const unknown = "x".repeat(26);
    socket.send({
      seq: 3,
      action: "get_statuses_by_ids",
      data: { user_ids: [seed.users.alice.user.id, seed.users.bob.user.id, unknown] },
    });
    expect((await replyTo(3)).json).toEqual({
      status: "OK",
      seq_reply: 3,
      data: {
        [seed.users.alice.user.id]: "online",
        [seed.users.bob.user.id]: "offline",
        [unknown]: "offline",
      },
    });
  });

  it("get_statuses_by_ids without ids, or with one that is not an id: FAIL 400 naming user_ids", async () => {
    socket.send({ seq: 4, action: "get_statuses_by_ids", data: { user_ids: ["bob"] } });
    socket.send({ seq: 5, action: "get_statuses_by_ids", data: {} });
    for (const seq of [4, 5]) {
      expect((await replyTo(seq)).json).toEqual({
        status: "FAIL",
        seq_reply: seq,
        error: {
          id: "api.websocket_handler.invalid_param.app_error",
          message: "Invalid user_ids parameter.",
          detailed_error: "",
          status_code: 400,
        },
      });
    }
  });

  it("an unknown action is still FAIL 501, and the connection stays up", async () => {
    socket.send({ seq: 6, action: "presence", data: { channel_id: seed.channels.ops.id } });
    expect((await replyTo(6)).json).toMatchObject({
      status: "FAIL",
      error: { id: "api.web_socket_router.bad_action.app_error", status_code: 501 },
    });
    socket.send({ seq: 7, action: "ping" });
    expect((await replyTo(7)).json).toMatchObject({ status: "OK", data: { text: "pong" } });
  });

  it("closes a socket that sends a frame over the server's read limit (8 * 1024 bytes) with 1009, and takes one at the limit", async () => {
    const other = await TestSocket.open(sandbox.url, {
      token: seed.users.alice.token,
      challenge: true,
    });
    await other.next((f) => f.json.seq_reply === 1);
    const frame = (size: number) => {
      const base = JSON.stringify({ seq: 2, action: "ping", data: { pad: "" } });
      return JSON.stringify({
        seq: 2,
        action: "ping",
        data: { pad: "x".repeat(size - base.length) },
      });
    };
    other.ws.send(frame(8 * 1024));
    await other.next((f) => f.json.seq_reply === 2);
    other.ws.send(frame(8 * 1024 + 1));
    expect(await other.closed).toBe(1009);
    // the sandbox is still up (an unhandled socket error used to end its process)
    const after = await TestSocket.open(sandbox.url, {
      token: seed.users.alice.token,
      challenge: true,
    });
    await after.next((f) => f.json.seq_reply === 1);
    after.close();
  });
});
