/**
 * The server's rate limiter (`RateLimitSettings`, off unless set): GCRA as throttled does it,
 * `PerSec` requests a second with `MaxBurst` more at once, one bucket per token (`VaryByUser`)
 * and per remote address for calls without one. It sits in front of every HTTP route and the
 * WebSocket upgrade. Every answer carries `X-RateLimit-Limit` (burst + 1), `-Remaining` and
 * `-Reset` (seconds until the bucket is full again); a refusal is a bare `429 limit exceeded`
 * with `Retry-After` (seconds until the next call is let through). An API call with a valid
 * token is then limited once more by its user id (the server's `UserIdRateLimit`), so that an
 * accepted call carries each header twice.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";

export interface RateLimitSettings {
  /** Sustained requests per second (the server's default: 10). */
  perSec: number;
  /** Requests let through at once beyond the rate (the server's default: 100). */
  maxBurst?: number;
}

/** One decision, with the headers the server sends for it. */
export interface RateLimitDecision {
  limited: boolean;
  headers: Record<string, string>;
}

/** What the limiter covers here: the API (not the sandbox's own page and controls). */
const LIMITED_PATH = /^\/api\//;

export class RateLimiter {
  private settings: Required<RateLimitSettings> | undefined;
  /** Theoretical arrival time of each key's next request, in ms (throttled's TAT). */
  private readonly tat = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Turns the limit on (or changes it, forgetting every bucket), or off with `undefined`. */
  set(settings: RateLimitSettings | undefined): void {
    this.tat.clear();
    if (!settings) return void (this.settings = undefined);
    if (
      !(settings.perSec > 0) ||
      !Number.isInteger(settings.maxBurst ?? 0) ||
      (settings.maxBurst ?? 0) < 0
    ) {
      throw new RangeError(
        `rate limit: perSec must be > 0 and maxBurst an integer ≥ 0 (got ${settings.perSec}, ${settings.maxBurst})`,
      );
    }
    this.settings = { perSec: settings.perSec, maxBurst: settings.maxBurst ?? 100 };
  }

  /** The settings in force, if any. */
  get current(): Required<RateLimitSettings> | undefined {
    return this.settings;
  }

  /** Takes one request of `key` (throttled's `RateLimit(key, 1)`); undefined while off. */
  take(key: string): RateLimitDecision | undefined {
    if (!this.settings) return undefined;
    const interval = 1000 / this.settings.perSec;
    const limit = this.settings.maxBurst + 1;
    const tolerance = interval * limit;
    const now = this.now();
    const stored = this.tat.get(key);
    // times relative to now, so that an empty bucket compares exactly (no float rounding)
    const ahead = stored === undefined || stored < now ? 0 : stored - now;
    const retryAfter = ahead + interval - tolerance;
    const limited = retryAfter > 0;
    const ttl = limited ? ahead : ahead + interval;
    if (!limited) this.tat.set(key, now + ttl);
    const next = tolerance - ttl;
    const remaining = next > -interval ? Math.trunc(next / interval) : 0;
    const headers: Record<string, string> = {
      "X-RateLimit-Limit": String(limit),
      "X-RateLimit-Remaining": String(Math.max(0, remaining)),
      "X-RateLimit-Reset": String(Math.ceil(ttl / 1000)),
    };
    if (limited) headers["Retry-After"] = String(Math.ceil(retryAfter / 1000));
    if (this.tat.size > 10_000) this.forgetFull(now);
    return { limited, headers };
  }

  /** Applies the limit to every API call, before anything else answers it; `userOf` knows the tokens. */
  install(app: FastifyInstance, userOf: (token: string) => string | undefined): void {
    app.addHook("onRequest", async (request, reply) => {
      if (!LIMITED_PATH.test(request.url)) return;
      const key = keyOf(request.raw);
      const decision = this.take(key);
      if (!decision) return;
      if (decision.limited) {
        // the limiter answers before the API's handler: none of its headers
        reply.removeHeader("X-Request-ID");
        reply.removeHeader("X-Version-Id");
        return refuse(reply, [decision]);
      }
      const userId = userOf(key);
      const byUser = userId === undefined ? undefined : this.take(`user ${userId}`);
      const decisions = byUser ? [decision, byUser] : [decision];
      if (byUser?.limited) return refuse(reply, decisions);
      for (const name of Object.keys(decision.headers))
        reply.header(
          name,
          decisions.map((d) => d.headers[name]!),
        );
    });
  }

  /** For the WebSocket endpoint: true when the upgrade was refused (and answered) here. */
  refuseUpgrade(request: IncomingMessage, socket: Duplex): boolean {
    const decision = this.take(keyOf(request));
    if (!decision?.limited) return false;
    const headers = Object.entries({
      ...decision.headers,
      "Content-Type": "text/plain; charset=utf-8",
      "X-Content-Type-Options": "nosniff",
      "Content-Length": "15",
    });
    socket.end(
      `HTTP/1.1 429 Too Many Requests\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join("")}Connection: close\r\n\r\nlimit exceeded\n`,
    );
    return true;
  }

  /** The server's store is a bounded LRU; here, buckets that are full again are dropped. */
  private forgetFull(now: number): void {
    for (const [key, tat] of this.tat) if (tat <= now) this.tat.delete(key);
  }
}

/** Go's `http.Error(w, "limit exceeded", 429)` after the headers of each decision. */
function refuse(reply: FastifyReply, decisions: RateLimitDecision[]): FastifyReply {
  for (const name of Object.keys(decisions.at(-1)!.headers))
    reply.header(
      name,
      decisions.map((d) => d.headers[name]).filter((v) => v !== undefined),
    );
  return reply
    .code(429)
    .header("X-Content-Type-Options", "nosniff")
    .type("text/plain; charset=utf-8")
    .send("limit exceeded\n");
}

/** The token of the call (header, `MMAUTHTOKEN` cookie or `access_token` query), else its address. */
function keyOf(request: IncomingMessage): string {
  const header = /^(?:bearer|token)\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
  if (header) return header;
  const cookie = /(?:^|;\s*)MMAUTHTOKEN=([^;]+)/.exec(request.headers.cookie ?? "")?.[1];
  if (cookie) return cookie;
  const query = new URL(request.url ?? "/", "http://sandbox").searchParams.get("access_token");
  if (query) return query;
  return request.socket.remoteAddress ?? "";
}
