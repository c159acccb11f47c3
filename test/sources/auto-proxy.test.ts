/**
 * The auto source behind a proxy that passes REST but not WebSockets: one that refuses the
 * upgrade (as a proxy stripping it ends up doing) and one that cuts the connection.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { AutoSource, type AutoSourceOptions } from "../../src/sources/auto.js";
import { harnessWebSocketOptions, startHarness, type Harness } from "../helpers/harness.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A plain HTTP proxy to `target()`; WebSocket upgrades are answered 400 ("refuse") or cut ("cut"). */
async function restOnlyProxy(target: () => string, upgrades: "refuse" | "cut"): Promise<string> {
  const server: Server = createServer((req, res) => {
    const upstream = request(
      `${target()}${req.url}`,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("upgrade", (_req, socket) => {
    if (upgrades === "refuse")
      socket.end("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The harness's bot, reaching the sandbox only through the proxy. */
async function botBehind(
  upgrades: "refuse" | "cut",
  options: AutoSourceOptions,
): Promise<{ h: Harness; auto: () => AutoSource }> {
  let sandboxUrl = "";
  const proxyUrl = await restOnlyProxy(() => sandboxUrl, upgrades);
  let auto: AutoSource | undefined;
  const h = await startHarness({
    bot: (sandbox) => {
      sandboxUrl = sandbox.url;
      return { url: proxyUrl };
    },
    mattermostSource: () => (auto = new AutoSource(options)),
  });
  cleanups.push(() => h.close());
  return { h, auto: () => auto! };
}

describe("AutoSource behind a proxy that passes REST only", () => {
  it("a fresh bot whose upgrade is refused answers its first message by polling (defaults: 2 s rounds)", async () => {
    const { h, auto } = await botBehind("refuse", {});
    expect(auto().mode).toBe("polling");
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot add through the proxy");
    // within a round or two (the latency is `npm run bench:polling`'s figure)
    const reply = await h.replyTo(post, { timeoutMs: 6_000 });
    expect(reply.message).toMatch(/Added #1: through the proxy/);
  });

  it("falls back when the socket keeps failing while REST works", async () => {
    const { h, auto } = await botBehind("cut", {
      websocket: harnessWebSocketOptions,
      polling: { intervalMs: 500 },
    });
    expect(auto().mode).toBe("polling");
    const reply = await h.replyTo(
      h.say("alice", h.seed.channels.ops.id, "@todobot add despite the cuts"),
      { timeoutMs: 1_500 },
    );
    expect(reply.message).toMatch(/Added #1: despite the cuts/);
  });
});
