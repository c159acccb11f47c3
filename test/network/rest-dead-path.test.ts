/**
 * The REST client on keep-alive connections whose path went silent (through the fault proxy):
 * a call gives up after its quick timeout and is retried on a fresh connection, never on a dead
 * sibling; a path found dead elsewhere has its connections dropped, calls in flight included.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FaultProxy } from "../../bench/fault-proxy.js";
import { HttpTransport } from "../../src/mattermost/http-transport.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { Sandbox } from "../../src/sandbox/index.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A plain server answering `/slow` after 300 ms (so calls side by side open connections of their own), anything else at once. */
async function upstream(): Promise<string> {
  const server: Server = createServer((req, res) => {
    if (req.url === "/slow") setTimeout(() => res.end("slow"), 300);
    else res.end(`hello ${req.url}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
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

const timeouts = { connectMs: 1_000, answerMs: 1_000 };

/** Resolves with what the call gave (its body, or its error's name) and how long it took. */
async function timed(call: Promise<{ text: string }>): Promise<{ outcome: string; ms: number }> {
  const start = Date.now();
  const outcome = await call.then(
    (answer) => answer.text,
    (error: Error) => error.name,
  );
  return { outcome, ms: Date.now() - start };
}

describe("REST over a dead path", () => {
  it("a call on a silenced keep-alive connection gives up after its timeout, and the retry goes out on a fresh connection (not the dead sibling)", async () => {
    const proxy = await proxyTo(await upstream());
    const transport = new HttpTransport(false);
    // two keep-alive connections, both idle now
    await Promise.all([
      transport.send("GET", `${proxy.url}/slow`, {}, undefined, timeouts),
      transport.send("GET", `${proxy.url}/slow`, {}, undefined, timeouts),
    ]);
    expect(proxy.open).toBe(2);
    proxy.silence();
    const first = await timed(transport.send("GET", `${proxy.url}/a`, {}, undefined, timeouts));
    expect(first.outcome).toBe("TimeoutError");
    const retry = await timed(transport.send("GET", `${proxy.url}/b`, {}, undefined, timeouts));
    expect(retry.outcome).toBe("hello /b");
    expect(retry.ms).toBeLessThan(500);
  });

  it("dropConnections({quietSince}) ends a call in flight on a connection quiet since then, and the next call opens a fresh one", async () => {
    const proxy = await proxyTo(await upstream());
    const transport = new HttpTransport(false);
    await transport.send("GET", `${proxy.url}/warm`, {}, undefined, timeouts);
    proxy.silence();
    await new Promise((resolve) => setTimeout(resolve, 20)); // "since" after the warm-up's answer, not in the same millisecond
    const since = Date.now();
    const stuck = timed(
      transport.send("GET", `${proxy.url}/stuck`, {}, undefined, {
        connectMs: 1_000,
        answerMs: 10_000,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    transport.dropConnections({ quietSince: since });
    const ended = await stuck;
    expect(ended.outcome).toBe("ConnectionDroppedError");
    expect(ended.ms).toBeLessThan(1_000);
    expect(
      (await timed(transport.send("GET", `${proxy.url}/c`, {}, undefined, timeouts))).outcome,
    ).toBe("hello /c");
  });

  it("createPost whose answer never comes is retried with its pending_post_id on a fresh connection after the quick timeout: the same post, once", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    const seed = sandbox.seed();
    const proxy = await proxyTo(sandbox.url);
    const client = new MattermostClient({
      url: proxy.url,
      token: seed.bot.token,
      quickTimeoutMs: 1_500,
      retry: { baseDelayMs: 10 },
    });
    const channel = seed.channels.ops.id;
    await Promise.all([client.getMe(), client.getChannel(channel)]); // keep-alive connections, idle now
    // the server creates the post, then the path dies before its answer leaves
    const unsubscribe = sandbox.onEvent((event) => event.event === "posted" && proxy.silence());
    cleanups.push(async () => unsubscribe());
    const start = Date.now();
    const post = await client.createPost({
      channel_id: channel,
      message: "once",
      pending_post_id: "deadpath-pending-1",
    });
    expect(Date.now() - start).toBeLessThan(5_000); // one quick timeout, then the fresh connection's answer
    expect(
      sandbox
        .channelPosts(channel)
        .filter((p) => p.message === "once")
        .map((p) => p.id),
    ).toEqual([post.id]);
  });
});
