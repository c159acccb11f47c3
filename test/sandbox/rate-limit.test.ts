/**
 * The sandbox's rate limit against what Mattermost 5.37's (throttled's GCRA, app/ratelimit.go)
 * answers: the headers of accepted and refused calls, the bare `limit exceeded` body, one bucket
 * per token, the refill; the figures are throttled's for PerSec 5, MaxBurst 2.
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { RateLimiter } from "../../src/sandbox/rate-limit.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function world(
  options: Parameters<typeof Sandbox.start>[0] = {},
): Promise<{ sandbox: Sandbox; seed: SeedResult }> {
  const sandbox = await Sandbox.start(options);
  cleanups.push(() => sandbox.close());
  return { sandbox, seed: sandbox.seed() };
}

const me = (sandbox: Sandbox, token: string) =>
  fetch(`${sandbox.url}/api/v4/users/me`, { headers: { Authorization: `Bearer ${token}` } });
const limitHeaders = (r: Response) => ({
  limit: r.headers.get("x-ratelimit-limit"),
  remaining: r.headers.get("x-ratelimit-remaining"),
  reset: r.headers.get("x-ratelimit-reset"),
  retryAfter: r.headers.get("retry-after"),
});

describe("sandbox rate limit: the GCRA", () => {
  it("lets burst + 1 through at once, refuses the next until one interval passed, and is full again after the reset", () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    limiter.set({ perSec: 5, maxBurst: 2 });
    const answers = [1, 2, 3, 4].map(() => limiter.take("t")!);
    expect(
      answers.map((a) => [
        a.limited,
        a.headers["X-RateLimit-Remaining"],
        a.headers["X-RateLimit-Reset"],
        a.headers["Retry-After"],
      ]),
    ).toEqual([
      [false, "2", "1", undefined],
      [false, "1", "1", undefined],
      [false, "0", "1", undefined],
      [true, "0", "1", "1"],
    ]);
    now += 150; // less than the 200 ms interval: still refused
    expect(limiter.take("t")!.limited).toBe(true);
    now += 60;
    expect(limiter.take("t")).toMatchObject({
      limited: false,
      headers: { "X-RateLimit-Remaining": "0" },
    });
    expect(limiter.take("t")!.limited).toBe(true);
    expect(limiter.take("another token")).toMatchObject({
      limited: false,
      headers: { "X-RateLimit-Remaining": "2" },
    });
    now += 600; // the whole bucket back
    expect(limiter.take("t")).toMatchObject({
      limited: false,
      headers: { "X-RateLimit-Remaining": "2", "X-RateLimit-Limit": "3" },
    });
  });

  it("counts seconds up: a nearly empty bucket of a slow rate says when it is full and when to retry", () => {
    let now = 0;
    const limiter = new RateLimiter(() => now);
    limiter.set({ perSec: 1, maxBurst: 3 });
    for (let i = 0; i < 4; i++) limiter.take("t");
    const refused = limiter.take("t")!;
    expect(refused).toMatchObject({
      limited: true,
      headers: {
        "X-RateLimit-Limit": "4",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "4",
        "Retry-After": "1",
      },
    });
    now = 2_500;
    expect(limiter.take("t")).toMatchObject({
      limited: false,
      headers: { "X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "3" },
    });
  });

  it("refuses settings a server would not start with", () => {
    const limiter = new RateLimiter();
    expect(() => limiter.set({ perSec: 0 })).toThrow(/perSec/);
    expect(() => limiter.set({ perSec: 5, maxBurst: -1 })).toThrow(/maxBurst/);
  });
});

describe("sandbox rate limit over HTTP", () => {
  it("is off by default: no rate-limit headers", async () => {
    const { sandbox, seed } = await world();
    const answer = await me(sandbox, seed.bot.token);
    expect(answer.status).toBe(200);
    expect(answer.headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("answers as the server: each header twice on accepted calls (by token, then by user), then a bare 429 `limit exceeded` with Retry-After; one bucket per token", async () => {
    const { sandbox, seed } = await world({ rateLimit: { perSec: 1, maxBurst: 2 } });
    const accepted = [];
    for (let i = 0; i < 3; i++) accepted.push(await me(sandbox, seed.bot.token));
    expect(accepted.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(accepted.map((r) => limitHeaders(r).remaining)).toEqual(["2, 2", "1, 1", "0, 0"]);
    expect(limitHeaders(accepted[2]!)).toEqual({
      limit: "3, 3",
      remaining: "0, 0",
      reset: "3, 3",
      retryAfter: null,
    });
    const refused = await me(sandbox, seed.bot.token);
    expect(refused.status).toBe(429);
    expect(limitHeaders(refused)).toEqual({
      limit: "3",
      remaining: "0",
      reset: "3",
      retryAfter: "1",
    });
    expect(refused.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(refused.headers.get("x-request-id")).toBeNull();
    expect(await refused.text()).toBe("limit exceeded\n");
    // another user's token has its own bucket; the sandbox's own controls are not limited
    expect((await me(sandbox, seed.users.alice.token)).status).toBe(200);
    expect((await fetch(`${sandbox.url}/sandbox/faults`, { method: "DELETE" })).status).toBe(200);
  });

  it("limits the WebSocket upgrade too (the server's limiter is in front of every route)", async () => {
    const { sandbox, seed } = await world({ rateLimit: { perSec: 1, maxBurst: 0 } });
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${sandbox.url.replace(/^http/, "ws")}/api/v4/websocket`, {
        headers: { Authorization: `Bearer ${seed.bot.token}` },
      });
      ws.on("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on("open", () => {
        resolve(101);
        ws.terminate();
      });
      ws.on("error", reject);
    });
    expect(status).toBe(429);
  });

  it("is turned on, changed and off through the fault API; clearing the faults puts back the limit given at start", async () => {
    const { sandbox, seed } = await world();
    const control = (body: unknown) =>
      fetch(`${sandbox.url}/sandbox/faults`, { method: "POST", body: JSON.stringify(body) });
    expect((await control({ fault: "rate-limit", per_sec: 0 })).status).toBe(400);
    expect((await control({ fault: "rate-limit", per_sec: 5, max_burst: 0 })).status).toBe(200);
    expect((await me(sandbox, seed.bot.token)).status).toBe(200);
    expect((await me(sandbox, seed.bot.token)).status).toBe(429);
    expect((await control({ fault: "rate-limit" })).status).toBe(200);
    expect((await me(sandbox, seed.bot.token)).headers.get("x-ratelimit-limit")).toBeNull();
    sandbox.faults.rateLimit({ perSec: 5, maxBurst: 7 });
    expect(limitHeaders(await me(sandbox, seed.bot.token)).limit).toBe("8, 8");
    await fetch(`${sandbox.url}/sandbox/faults`, { method: "DELETE" });
    expect(sandbox.faults.rateLimitSettings).toBeUndefined();
  });
});
