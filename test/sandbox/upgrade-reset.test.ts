/**
 * A peer that resets its connection while the sandbox refuses its WebSocket upgrade (a proxy
 * cutting the path, as the fault proxy does in the chaos run) must not throw out of the process:
 * past the `upgrade` event the HTTP server no longer listens for the socket's errors.
 */
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Sandbox } from "../../src/sandbox/index.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("an upgrade reset by the peer while it is refused", () => {
  it("leaves the sandbox up, with no error thrown", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    sandbox.setWebSocketAvailable(false); // every upgrade is refused with 503
    const thrown: unknown[] = [];
    const onError = (error: unknown) => thrown.push(error);
    process.on("uncaughtException", onError);
    cleanups.push(async () => void process.off("uncaughtException", onError));
    const port = Number(new URL(sandbox.url).port);
    for (let i = 0; i < 200; i++) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, "127.0.0.1", () => {
          socket.write(
            "GET /api/v4/websocket HTTP/1.1\r\nHost: sandbox\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
          );
          setTimeout(() => (socket.resetAndDestroy(), resolve()), i % 3);
        });
        socket.on("error", () => resolve());
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(thrown).toEqual([]);
    expect((await fetch(`${sandbox.url}/api/v4/system/ping`)).status).toBe(200);
  });
});
