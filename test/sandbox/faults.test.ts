/** The sandbox's fault API, as a client sees it over real HTTP and WebSocket. */
import { loadRest } from "./shape.js";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { TestSocket } from "./ws-client.js";

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function world(): Promise<{ sandbox: Sandbox; seed: SeedResult }> {
  const sandbox = await Sandbox.start();
  cleanups.push(() => sandbox.close());
  return { sandbox, seed: sandbox.seed() };
}

async function socket(sandbox: Sandbox, token: string, query?: string): Promise<TestSocket> {
  const s = await TestSocket.open(sandbox.url, { token, query });
  cleanups.push(() => s.ws.terminate());
  await s.next((f) => f.json.event === "hello");
  return s;
}

const me = (sandbox: Sandbox, token: string, signal?: AbortSignal) =>
  fetch(`${sandbox.url}/api/v4/users/me`, {
    headers: { Authorization: `Bearer ${token}` },
    signal,
  });

/** The HTTP status of a WebSocket upgrade: 101 when accepted. */
function upgradeStatus(sandbox: Sandbox, token: string): Promise<number | "cut"> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${sandbox.url.replace(/^http/, "ws")}/api/v4/websocket`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => {
      resolve(101);
      ws.terminate();
    });
    ws.on("error", () => resolve("cut"));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("sandbox faults: REST", () => {
  it("answers the next N matching calls with 429 and rate-limit headers, then normally; other paths are untouched", async () => {
    const { sandbox, seed } = await world();
    sandbox.faults.failRest({
      path: "^/api/v4/users/me$",
      answer: 429,
      count: 2,
      retryAfterSeconds: 3,
    });
    const posts = await fetch(`${sandbox.url}/api/v4/channels/${seed.channels.ops.id}/posts`, {
      headers: { Authorization: `Bearer ${seed.bot.token}` },
    });
    expect(posts.status).toBe(200);
    for (let i = 0; i < 2; i++) {
      const refused = await me(sandbox, seed.bot.token);
      expect(refused.status).toBe(429);
      expect(refused.headers.get("retry-after")).toBe("3");
      // as the server's limiter says it with its default settings (10/s, burst 100)
      expect(refused.headers.get("x-ratelimit-reset")).toBe("11");
      expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
      expect(refused.headers.get("x-ratelimit-limit")).toBe("101");
      const recorded = loadRest("rate-limited-429").response;
      for (const header of ["content-type", "x-content-type-options"])
        expect(refused.headers.get(header)).toBe(recorded.headers[header]);
      expect(await refused.text()).toBe(recorded.body);
    }
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
  });

  it("answers 500 with the server's error body and 502 as a proxy would, only for the method asked", async () => {
    const { sandbox, seed } = await world();
    sandbox.faults.failRest({ path: "/users/me", method: "GET", answer: 500 });
    sandbox.faults.failRest({ path: "/users/me", method: "GET", answer: 502 });
    const first = await me(sandbox, seed.bot.token);
    expect(first.status).toBe(500);
    expect(await first.json()).toMatchObject({
      id: "api.context.unknown.app_error",
      status_code: 500,
    });
    const second = await me(sandbox, seed.bot.token);
    expect(second.status).toBe(502);
    expect(second.headers.get("content-type")).toContain("text/html");
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
  });

  it("a failure armed for a moment (withinMs) meets only the calls made within it", async () => {
    const { sandbox, seed } = await world();
    sandbox.faults.failRest({ path: "/users/me", answer: 500, count: 5, withinMs: 300 });
    expect((await me(sandbox, seed.bot.token)).status).toBe(500);
    await sleep(400);
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
  });

  it("never answers a call armed with a timeout (the client gives up), and answers the next", async () => {
    const { sandbox, seed } = await world();
    sandbox.faults.failRest({ path: "/users/me", answer: "timeout" });
    await expect(me(sandbox, seed.bot.token, AbortSignal.timeout(300))).rejects.toThrow();
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
  });

  it("delays matching calls by the time asked, for the count asked", async () => {
    const { sandbox, seed } = await world();
    sandbox.faults.delayRest({ ms: 1_500, path: "/users/me", count: 1 });
    let t0 = Date.now();
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_490);
    t0 = Date.now();
    await me(sandbox, seed.bot.token);
    expect(Date.now() - t0).toBeLessThan(1_000); // the count was used up: not delayed again
  });
});

describe("sandbox faults: WebSockets and the whole server", () => {
  it("refuses new upgrades with 503 for a time while open sockets stay", async () => {
    const { sandbox, seed } = await world();
    const open = await socket(sandbox, seed.bot.token);
    sandbox.faults.refuseWebSockets(400);
    expect(await upgradeStatus(sandbox, seed.bot.token)).toBe(503);
    expect(open.ws.readyState).toBe(WebSocket.OPEN);
    await sleep(450);
    expect(await upgradeStatus(sandbox, seed.bot.token)).toBe(101);
  });

  it("drops every WebSocket", async () => {
    const { sandbox, seed } = await world();
    const a = await socket(sandbox, seed.bot.token);
    const b = await socket(sandbox, seed.users.alice.token);
    expect(sandbox.faults.dropWebSockets()).toBe(2);
    await Promise.all([a.closed, b.closed]);
  });

  it("silences open sockets: no events, no pongs; a resume gets what was missed", async () => {
    const { sandbox, seed } = await world();
    const s = await socket(sandbox, seed.bot.token);
    const hello = await s.next((f) => f.json.event === "hello");
    await s.flush();
    expect(sandbox.faults.silenceWebSockets(seed.bot.user.id)).toBe(1);
    let pongs = 0;
    s.ws.on("pong", () => pongs++);
    s.ws.ping();
    const before = s.frames.length;
    sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "into the void",
    });
    await sleep(300);
    expect(pongs).toBe(0);
    expect(s.frames.length).toBe(before);
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    const lastSeq = Math.max(...s.frames.map((f) => f.json.seq ?? 0));
    const resumed = await TestSocket.open(sandbox.url, {
      token: seed.bot.token,
      query: `connection_id=${String(hello.json.data?.connection_id)}&sequence_number=${lastSeq + 1}`,
    });
    cleanups.push(() => resumed.ws.terminate());
    const missed = await resumed.next((f) => f.json.event === "posted");
    expect(String(missed.json.data?.post)).toContain("into the void");
  });

  it("cut: the server is unreachable for a time (sockets dropped, REST and upgrades cut), then answers again", async () => {
    const { sandbox, seed } = await world();
    const s = await socket(sandbox, seed.bot.token);
    sandbox.faults.cut(400);
    await s.closed;
    await expect(me(sandbox, seed.bot.token)).rejects.toThrow();
    expect(await upgradeStatus(sandbox, seed.bot.token)).toBe("cut");
    await sleep(450);
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
    expect(await upgradeStatus(sandbox, seed.bot.token)).toBe(101);
  });

  it("restart: connections and sequence numbers are forgotten, posts are kept", async () => {
    const { sandbox, seed } = await world();
    const s = await socket(sandbox, seed.bot.token);
    const hello = await s.next((f) => f.json.event === "hello");
    const post = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "kept",
    });
    await s.next((f) => f.json.event === "posted");
    sandbox.faults.restart();
    await s.closed;
    const again = await socket(
      sandbox,
      seed.bot.token,
      `connection_id=${String(hello.json.data?.connection_id)}&sequence_number=1`,
    );
    const newHello = await again.next((f) => f.json.event === "hello");
    expect(newHello.json.data?.connection_id).not.toBe(hello.json.data?.connection_id);
    expect(newHello.json.seq).toBe(0);
    expect(sandbox.getPost(post.id)?.message).toBe("kept");
  });

  it("clear() ends the faults still armed", async () => {
    const { sandbox, seed } = await world();
    sandbox.faults.failRest({ path: "/users/me", answer: 500, count: 5 });
    sandbox.faults.refuseWebSockets(60_000);
    sandbox.faults.clear();
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
    expect(await upgradeStatus(sandbox, seed.bot.token)).toBe(101);
  });
});

describe("sandbox faults over HTTP (/sandbox/faults)", () => {
  const control = (sandbox: Sandbox, method: string, body?: unknown) =>
    fetch(`${sandbox.url}/sandbox/faults`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { "content-type": "application/json" },
    });

  it("applies a fault sent as JSON and clears them all with DELETE", async () => {
    const { sandbox, seed } = await world();
    await socket(sandbox, seed.bot.token);
    const applied = await control(sandbox, "POST", {
      fault: "fail-rest",
      path: "^/api/v4/users/me$",
      answer: 502,
      count: 3,
    });
    expect(applied.status).toBe(200);
    expect((await me(sandbox, seed.bot.token)).status).toBe(502);
    expect(await (await control(sandbox, "POST", { fault: "drop-websockets" })).json()).toEqual({
      applied: "drop-websockets",
      affected: 1,
    });
    expect((await control(sandbox, "DELETE")).status).toBe(200);
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
  });

  it("refuses a malformed fault with a 400 that names the problem", async () => {
    const { sandbox } = await world();
    const unknown = await control(sandbox, "POST", { fault: "meteor" });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toMatch(
      /fault.*drop-websockets/,
    );
    const badPath = await control(sandbox, "POST", { fault: "fail-rest", path: "([", answer: 500 });
    expect(badPath.status).toBe(400);
    expect(((await badPath.json()) as { message: string }).message).toContain(
      "path must be a regular expression",
    );
    const notJson = await fetch(`${sandbox.url}/sandbox/faults`, { method: "POST", body: "{nope" });
    expect(notJson.status).toBe(400);
  });
});
