/**
 * The fault proxy itself (bench/fault-proxy.js), against a plain node:http server with a
 * WebSocket endpoint: each fault does to real sockets what it says.
 */
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { FaultProxy } from "../../bench/fault-proxy.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function upstream(): Promise<string> {
  const server: Server = createServer((req, res) => res.end(`hello ${req.url}`));
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws) => ws.on("message", (m) => ws.send(`echo ${m.toString()}`)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    for (const c of wss.clients) c.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function proxyTo(target: string): Promise<FaultProxy> {
  const proxy = await FaultProxy.start(target);
  cleanups.push(() => proxy.close());
  return proxy;
}

/** One GET on a keep-alive agent; resolves with the body, or the error's code, or "timeout". */
function get(url: string, agent?: import("node:http").Agent, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(body));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      resolve("timeout");
    });
    req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    req.end();
  });
}

function openSocket(url: string): Promise<{ ws?: WebSocket; status?: number; error?: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url.replace(/^http/, "ws"));
    ws.on("open", () => resolve({ ws }));
    ws.on("unexpected-response", (_req, res) => {
      resolve({ status: res.statusCode });
      ws.terminate();
    });
    ws.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

function echo(ws: WebSocket, text: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve("timeout"), timeoutMs);
    ws.once("message", (m) => {
      clearTimeout(timer);
      resolve(m.toString());
    });
    ws.send(text);
  });
}

describe("FaultProxy", () => {
  it("passes HTTP and WebSockets on a clean path", async () => {
    const proxy = await proxyTo(await upstream());
    expect(await get(`${proxy.url}/a`)).toBe("hello /a");
    const { ws } = await openSocket(proxy.url);
    expect(await echo(ws!, "x")).toBe("echo x");
    ws!.terminate();
  });

  it("refuses upgrades with the chosen status while plain HTTP passes", async () => {
    const proxy = await proxyTo(await upstream());
    proxy.refuseUpgrades(403);
    expect((await openSocket(proxy.url)).status).toBe(403);
    expect(await get(`${proxy.url}/b`)).toBe("hello /b");
    proxy.refuseUpgrades(502);
    expect((await openSocket(proxy.url)).status).toBe(502);
    proxy.heal();
    expect((await openSocket(proxy.url)).ws).toBeDefined();
    expect(proxy.counts.upgradesRefused).toBe(2);
  });

  it("silence: open connections (a keep-alive one too) carry nothing, new ones work", async () => {
    const proxy = await proxyTo(await upstream());
    const agent = new (await import("node:http")).Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(async () => agent.destroy());
    expect(await get(`${proxy.url}/warm`, agent)).toBe("hello /warm");
    const { ws } = await openSocket(proxy.url);
    proxy.silence();
    expect(await echo(ws!, "lost")).toBe("timeout");
    expect(ws!.readyState).toBe(WebSocket.OPEN); // nobody was told
    expect(await get(`${proxy.url}/again`, agent, 500)).toBe("timeout"); // the idle keep-alive socket is dead too
    expect(await get(`${proxy.url}/fresh`)).toBe("hello /fresh");
    ws!.terminate();
  });

  it("cut: open connections are reset and new ones refused until it ends", async () => {
    const proxy = await proxyTo(await upstream());
    const { ws } = await openSocket(proxy.url);
    const closed = new Promise((resolve) => ws!.once("close", resolve));
    proxy.cut(400);
    await closed;
    expect(await get(`${proxy.url}/x`)).toMatch(/ECONNRESET|socket hang up/);
    await new Promise((r) => setTimeout(r, 500));
    expect(await get(`${proxy.url}/y`)).toBe("hello /y");
  });

  it("half-open: the server's side closes, the client's stays open and hears nothing", async () => {
    const target = await upstream();
    const proxy = await proxyTo(target);
    const { ws } = await openSocket(proxy.url);
    proxy.halfOpen();
    expect(await echo(ws!, "into the void")).toBe("timeout");
    expect(ws!.readyState).toBe(WebSocket.OPEN);
    ws!.terminate();
  });

  it("drip: bytes arrive, slowly", async () => {
    const proxy = await proxyTo(await upstream());
    proxy.drip({ bytesPerSecond: 200 });
    const started = Date.now();
    expect(await get(`${proxy.url}/slow`, undefined, 5_000)).toBe("hello /slow");
    expect(Date.now() - started).toBeGreaterThan(300); // ~150 bytes each way at 20 bytes a tenth of a second
    const { ws } = await openSocket(proxy.url);
    const replies: string[] = [];
    ws!.on("message", (m) => replies.push(m.toString()));
    for (const word of ["one", "two"]) ws!.send(word);
    proxy.drip(false); // what the drip queued still arrives first, in order
    ws!.send("three");
    await new Promise((r) => setTimeout(r, 2_000));
    expect(replies).toEqual(["echo one", "echo two", "echo three"]);
    ws!.terminate();
  });
});
