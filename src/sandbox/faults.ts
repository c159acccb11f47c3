/**
 * Fault injection for tests (no Mattermost server has it): what networks, proxies and busy
 * servers do to a bot. WebSockets dropped, refused or made silent; the next REST calls matching
 * a path answered 429/500/502 or never; responses delayed; the server unreachable for a while;
 * a restart that forgets connections and their sequence numbers but keeps the posts. And the
 * server's own rate limit (which a server has, off by default), turned on and off here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { Hub } from "./hub.js";
import { errorBody, type ErrorSpec } from "./errors.js";
import { RateLimiter, type RateLimitSettings } from "./rate-limit.js";

/** What a matching REST call gets: an HTTP error, or no answer at all (the client's timeout). */
export type RestFaultAnswer = 429 | 500 | 502 | "timeout";

export interface RestFaultRule {
  /** A regular expression tested on the path without the query (`"^/api/v4/posts$"`). */
  path: string | RegExp;
  /** Only calls with this method (default: any). */
  method?: string;
  answer: RestFaultAnswer;
  /** How many matching calls get it (default 1). */
  count?: number;
  /**
   * Armed this long at most (default: until used): a failure of a moment, which calls made
   * later no longer meet. Without it, a path only some client calls (a starting bot's
   * `/users/me`) meets every failure armed since, however long ago.
   */
  withinMs?: number;
  /** For 429: the `Retry-After` seconds (default 1); `X-RateLimit-Reset` is at least this. */
  retryAfterSeconds?: number;
}

export interface RestDelayRule {
  ms: number;
  /** Only paths matching this (default: every API call). */
  path?: string | RegExp;
  method?: string;
  /** How many calls are delayed (default: every one, until `clear()`). */
  count?: number;
}

interface Armed<T> {
  rule: T;
  pattern: RegExp;
  left: number;
  /** No longer armed from this time (ms since the epoch). */
  until?: number;
}

/** The paths faults apply to: a client's API calls, not the page or these controls. */
const API_PATH = /^\/api\/v4\//;
/** How long a "timeout" call is held before its connection is cut (clients give up sooner). */
const HOLD_MS = 60_000;
/**
 * What a 429 claims, as the server's limiter (throttled's GCRA) says it with the default settings
 * (10 per second, a burst of 100): the limit is the burst + 1, the reset the seconds until the
 * bucket is full again (101 / 10, rounded up). Checked against a real 5.37 (fixtures/rest/rate-limited-429.json).
 */
const CLAIMED_LIMIT = 101;
const FULL_AGAIN_SECONDS = 11;
const INJECTED_500: ErrorSpec = {
  id: "api.context.unknown.app_error",
  message: "An unexpected error occurred.",
  status: 500,
};

export class Faults {
  private failures: Armed<RestFaultRule>[] = [];
  private delays: Armed<RestDelayRule>[] = [];
  private refusedUntil = 0;
  private unreachableUntil = 0;
  private readonly held = new Set<NodeJS.Timeout>();
  private readonly limiter = new RateLimiter();

  /** `rateLimit`: the limit in force at start and again after `clear()` (default: none). */
  constructor(
    private readonly hub: Hub,
    private readonly startLimit?: RateLimitSettings,
  ) {
    this.limiter.set(startLimit);
  }

  /**
   * The server's rate limit (`RateLimitSettings` with `VaryByUser`): `perSec` requests a second
   * per token with `maxBurst` (default 100) more at once; `undefined` turns it off. Every bucket
   * starts full again.
   */
  rateLimit(settings: RateLimitSettings | undefined): void {
    this.limiter.set(settings);
  }

  /** The rate limit in force, if any. */
  get rateLimitSettings(): RateLimitSettings | undefined {
    return this.limiter.current;
  }

  /** Terminates open WebSockets (all, or one user's) abruptly; returns how many. */
  dropWebSockets(userId?: string): number {
    const live = this.hub.sockets(userId);
    for (const connection of live) connection.socket?.terminate();
    return live.length;
  }

  /** New WebSocket upgrades are answered HTTP 503 for `ms` (REST keeps working). */
  refuseWebSockets(ms: number): void {
    this.refusedUntil = Date.now() + ms;
  }

  /**
   * Open WebSockets (all, or one user's) stay open but carry nothing either way: no events, no
   * pings, no pongs, as behind a NAT that lost its state. Events are still kept for a resume.
   * Returns how many.
   */
  silenceWebSockets(userId?: string): number {
    const live = this.hub.sockets(userId).filter((c) => !c.silent);
    for (const connection of live) {
      connection.silent = true;
      connection.socket?.pause();
    }
    return live.length;
  }

  /** The next `count` REST calls matching the rule get its answer. */
  failRest(rule: RestFaultRule): void {
    this.failures.push({
      rule,
      pattern: toPattern(rule.path),
      left: rule.count ?? 1,
      until: rule.withinMs === undefined ? undefined : Date.now() + rule.withinMs,
    });
  }

  /** REST calls (matching `path`) are answered `ms` later. */
  delayRest(rule: RestDelayRule): void {
    this.delays.push({
      rule,
      pattern: toPattern(rule.path ?? API_PATH),
      left: rule.count ?? Infinity,
    });
  }

  /**
   * The server is unreachable for `ms`: open WebSockets are dropped, new connections (REST and
   * WebSocket) are cut as soon as they arrive, as when the network or the server is down.
   */
  cut(ms: number): void {
    this.unreachableUntil = Date.now() + ms;
    this.dropWebSockets();
  }

  /**
   * A server restart: every connection and its sequence numbers are forgotten (no resume is
   * possible), the posts and everything else are kept; unreachable for `downMs` (default 0).
   */
  restart(downMs = 0): void {
    this.hub.close();
    this.unreachableUntil = Date.now() + downMs;
  }

  /** Ends every fault still armed or running; the rate limit goes back to the one given at start. */
  clear(): void {
    this.limiter.set(this.startLimit);
    this.failures = [];
    this.delays = [];
    this.refusedUntil = 0;
    this.unreachableUntil = 0;
  }

  /** Cuts the held "timeout" calls (on close). */
  close(): void {
    for (const timer of this.held) clearTimeout(timer);
    this.held.clear();
  }

  /** For the WebSocket endpoint: what a new upgrade gets ("cut" and "limited" are answered here). */
  upgradeFault(
    request: IncomingMessage,
    socket: Duplex,
  ): "refused" | "cut" | "limited" | undefined {
    if (Date.now() < this.unreachableUntil) {
      socket.destroy();
      return "cut";
    }
    if (this.limiter.refuseUpgrade(request, socket)) return "limited";
    return Date.now() < this.refusedUntil ? "refused" : undefined;
  }

  /** Applies the faults to every API call, before its route runs. */
  install(app: FastifyInstance, userOf: (token: string) => string | undefined): void {
    this.limiter.install(app, userOf);
    app.addHook("onRequest", async (request, reply) => {
      if (!API_PATH.test(request.url)) return;
      if (Date.now() < this.unreachableUntil) {
        request.raw.socket.destroy();
        return reply.hijack();
      }
      const path = request.url.split("?")[0]!;
      const delay = take(this.delays, path, request.method);
      if (delay) await new Promise((resolve) => setTimeout(resolve, delay.rule.ms));
      const failure = take(this.failures, path, request.method);
      if (failure) return this.answer(failure.rule, request, reply);
    });
  }

  private answer(rule: RestFaultRule, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (rule.answer === "timeout") {
      const timer = setTimeout(() => {
        this.held.delete(timer);
        request.raw.socket.destroy();
      }, HOLD_MS);
      this.held.add(timer);
      request.raw.on("close", () => {
        clearTimeout(timer);
        this.held.delete(timer);
      });
      return reply.hijack();
    }
    if (rule.answer === 429) {
      // what the server's rate limiter (throttled) answers
      const retryAfter = rule.retryAfterSeconds ?? 1;
      return reply
        .code(429)
        .headers({
          "X-RateLimit-Limit": String(CLAIMED_LIMIT),
          "X-RateLimit-Remaining": "0",
          "X-RateLimit-Reset": String(Math.max(retryAfter, FULL_AGAIN_SECONDS)),
          "Retry-After": String(retryAfter),
          "X-Content-Type-Options": "nosniff",
        })
        .type("text/plain; charset=utf-8")
        .send("limit exceeded\n");
    }
    if (rule.answer === 502)
      return reply
        .code(502)
        .type("text/html")
        .send("<html><body><h1>502 Bad Gateway</h1></body></html>\n");
    return reply
      .code(500)
      .header("content-type", "application/json")
      .send(Buffer.from(JSON.stringify(errorBody(INJECTED_500, request.id, "fault injected"))));
  }
}

function toPattern(path: string | RegExp): RegExp {
  return typeof path === "string" ? new RegExp(path) : path;
}

/** The first armed rule matching the call, used once. */
function take<T extends { method?: string }>(
  armed: Armed<T>[],
  path: string,
  method: string,
): Armed<T> | undefined {
  const now = Date.now();
  for (let i = armed.length - 1; i >= 0; i--)
    if (armed[i]!.until !== undefined && armed[i]!.until! <= now) armed.splice(i, 1);
  const index = armed.findIndex(
    (a) => a.pattern.test(path) && (!a.rule.method || a.rule.method.toUpperCase() === method),
  );
  if (index < 0) return undefined;
  const hit = armed[index]!;
  if (--hit.left <= 0) armed.splice(index, 1);
  return hit;
}
