/**
 * The client's rate budget: one token bucket per server and token, shared by every client of
 * that token in the process, so that a burst of work waits for the server's rate limit instead
 * of being refused by it.
 *
 * The bucket starts at the configured rate and burst and follows the server where it says less:
 * Mattermost's limiter (throttled's GCRA) sends `X-RateLimit-Limit` (its burst + 1),
 * `-Remaining` and `-Reset` (seconds until full) on every answer. The bucket never holds more
 * than the server says is left, and it refills no faster than a rate the server's answers prove
 * it allows: for a GCRA, remaining + calls accepted grows by exactly one per server interval
 * while the bucket is not full, so over a window of W seconds `(growth - 1) / W` is a lower
 * bound of the server's rate (and `(limit - remaining - 1) / reset` another one).
 *
 * Calls are let through by priority: replies and everything else first, then edits; typing is
 * only sent when nobody waits and it leaves a call's worth for a reply, never queued. Until the
 * first answer comes, one call goes at a time: a burst at start would otherwise meet a server
 * whose limit the budget has not heard of yet. A server whose answers carry no rate-limit
 * headers has its limiter off (Mattermost's default): nothing waits then, until a header or a
 * 429 shows a limit, and again once a few answers in a row come without headers.
 */
import type { Logger } from "../log.js";

/** What a call is, for the order in which waiting calls go. */
export type RequestPriority = "first" | "edit" | "typing";

export interface RateBudgetOptions {
  /** Requests per second at most (> 0). */
  requestsPerSecond: number;
  /** Requests at once after a quiet time (default: two seconds' worth, at least 1). */
  burst?: number;
  logger: Logger;
  /** A wait this long is logged, once until the queue is empty again (default 1000 ms). */
  logWaitsOverMs?: number;
  clock?: BudgetClock;
}

/** Time and timers, injected so that tests can run the budget on a clock of their own. */
export interface BudgetClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What the server said about its limit in one answer (from `rateLimitInfo`). */
export interface ServerRateLimit {
  limit: number;
  remaining: number;
  /** Seconds until the server's bucket is full again. */
  resetSeconds: number;
  /** The call was refused (429). */
  refused: boolean;
}

/** A call let through: tell the budget how it went. */
export interface BudgetTicket {
  /** An answer came, with the server's rate-limit headers if it sent them; `refused`: it was a 429. */
  answered(server: ServerRateLimit | undefined, refused?: boolean): void;
  /** No answer came (network, timeout). */
  failed(): void;
}

/** Answers in a row without rate-limit headers that end pacing (see `answeredBare`). */
const BARE_ANSWERS_TO_STOP_PACING = 5;

const systemClock: BudgetClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Waiter {
  since: number;
  grant: (ticket: BudgetTicket) => void;
}

export class RateBudget {
  readonly requestsPerSecond: number;
  private readonly burst: number;
  private readonly clock: BudgetClock;
  private readonly logger: Logger;
  private readonly logWaitsOverMs: number;
  private tokens: number;
  private updatedAt: number;
  private inFlight = 0;
  private readonly queues: Record<"first" | "edit", Waiter[]> = { first: [], edit: [] };
  private timer: unknown;
  /** The server's bucket size (`X-RateLimit-Limit`), once seen. */
  private serverLimit: number | undefined;
  /** The best lower bound of the server's rate proven since the last refusal. */
  private serverRate: number | undefined;
  private accepted = 0;
  /** Start of the window over which remaining + accepted is watched. */
  private window: { at: number; count: number } | undefined;
  private episode: { since: number; waited: number; logged: boolean } | undefined;
  /** No answer yet: one call at a time. */
  private probing = true;
  /** Whether the server limits: undefined until an answer says; false while answers carry no headers. */
  private serverLimits: boolean | undefined;
  /** Answers without rate-limit headers in a row while pacing. */
  private bareAnswers = 0;

  constructor(options: RateBudgetOptions) {
    if (!(options.requestsPerSecond > 0))
      throw new RangeError(`requestsPerSecond must be > 0 (got ${options.requestsPerSecond})`);
    this.requestsPerSecond = options.requestsPerSecond;
    this.burst = Math.max(1, Math.floor(options.burst ?? Math.ceil(2 * options.requestsPerSecond)));
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.logWaitsOverMs = options.logWaitsOverMs ?? 1000;
    this.tokens = this.burst;
    this.updatedAt = this.clock.now();
  }

  /** The rate the bucket refills at now: the configured one, or less where the server proved less. */
  get rate(): number {
    return this.serverRate === undefined
      ? this.requestsPerSecond
      : Math.min(this.requestsPerSecond, this.serverRate);
  }

  /** Resolves when the call may go: at once while there is budget, else in turn (first before edit). */
  take(priority: "first" | "edit" = "first"): Promise<BudgetTicket> {
    this.refill();
    if (this.waiting === 0 && (this.tokens >= 1 || this.serverLimits === false) && this.mayStart) {
      this.endEpisode(this.clock.now());
      return Promise.resolve(this.grant());
    }
    return new Promise((grant) => {
      const now = this.clock.now();
      this.episode ??= { since: now, waited: 0, logged: false };
      this.queues[priority].push({ since: now, grant });
      this.schedule();
    });
  }

  /** A ticket now if the budget is not short (nobody waits, one more call than this one left), else nothing: for typing. */
  tryTake(): BudgetTicket | undefined {
    this.refill();
    if (this.serverLimits === false) return this.grant();
    if (this.waiting > 0 || this.tokens < Math.min(2, this.capacity) || !this.mayStart)
      return undefined;
    return this.grant();
  }

  private get mayStart(): boolean {
    return !this.probing || this.inFlight === 0;
  }

  private get waiting(): number {
    return this.queues.first.length + this.queues.edit.length;
  }

  private get capacity(): number {
    return this.serverLimit === undefined
      ? this.burst
      : Math.max(1, Math.min(this.burst, this.serverLimit));
  }

  /** The server showed a limit after answers without one: pace from a full bucket on. */
  private restart(): void {
    this.tokens = this.capacity;
    this.updatedAt = this.clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.capacity,
      this.tokens + ((now - this.updatedAt) / 1000) * this.rate,
    );
    this.updatedAt = now;
  }

  private grant(): BudgetTicket {
    if (this.serverLimits !== false) this.tokens -= 1;
    this.inFlight++;
    let done = false;
    const finish = (): boolean => {
      if (done) return false;
      done = true;
      this.inFlight--;
      return true;
    };
    return {
      answered: (server, refused = false) => {
        if (!finish()) return;
        this.probing = false;
        if (server || refused) {
          if (this.serverLimits === false) this.restart();
          this.serverLimits = true;
          this.bareAnswers = 0;
        } else if (this.serverLimits === true) this.answeredBare();
        else this.serverLimits ??= false;
        if (server) this.follow(server);
        if (this.waiting > 0) this.schedule();
      },
      failed: () => {
        if (finish() && this.waiting > 0) this.schedule();
      },
    };
  }

  /**
   * An answer without rate-limit headers while pacing. Mattermost's limiter puts them on every
   * answer it lets through (`setRateLimitHeaders` in server/channels/app/ratelimit.go), so a run
   * of answers without them means no limiter stands before this server's answers: the refusal
   * came from something else (a proxy, a fault) or the limiter was turned off. Pacing stops then;
   * without this, one stray 429 held the bot to the configured rate for the rest of its life.
   */
  private answeredBare(): void {
    if (++this.bareAnswers < BARE_ANSWERS_TO_STOP_PACING) return;
    this.serverLimits = false;
    this.serverLimit = undefined;
    this.serverRate = undefined;
    this.window = undefined;
    this.tokens = this.capacity;
    this.logger.info(
      { answers: this.bareAnswers },
      `rate budget: the server's answers carry no rate-limit headers (${this.bareAnswers} in a row); calls no longer wait`,
    );
  }

  /** Lets the waiting calls through that the budget allows, and sets a timer for the next one. */
  private schedule(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.refill();
    const now = this.clock.now();
    while ((this.tokens >= 1 || this.serverLimits === false) && this.waiting > 0 && this.mayStart) {
      const waiter = (this.queues.first.shift() ?? this.queues.edit.shift())!;
      if (this.episode) this.episode.waited++;
      waiter.grant(this.grant());
    }
    const oldest = this.queues.first[0] ?? this.queues.edit[0];
    const since = Math.min(this.episode?.since ?? now, oldest?.since ?? now);
    if (this.episode && !this.episode.logged && now - since >= this.logWaitsOverMs) {
      this.episode.logged = true;
      this.logger.warn(
        {
          waiting: this.waiting,
          requestsPerSecond: round(this.rate),
          serverLimit: this.serverLimit,
        },
        `REST calls wait for the rate budget (${round(this.rate)} requests/s${this.serverRate === undefined ? "" : ", as the server's rate-limit headers allow"}; ${this.waiting} waiting now)`,
      );
    }
    if (!this.mayStart && this.waiting > 0) return; // the probe's answer calls again
    const ms = Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    // nobody waits: the episode ends unless a call comes before the next token does
    const next = this.waiting > 0 ? () => this.schedule() : () => this.endEpisode(this.clock.now());
    if (this.waiting > 0 || this.episode) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        next();
      }, ms);
    }
  }

  /** Calls waited back to back since `episode.since`; a call let through at once ends it. */
  private endEpisode(now: number): void {
    const episode = this.episode;
    this.episode = undefined;
    if (episode?.logged) {
      this.logger.info(
        { waited: episode.waited, ms: Math.round(now - episode.since) },
        `rate budget: caught up; ${episode.waited} calls waited over ${((now - episode.since) / 1000).toFixed(1)} s`,
      );
    }
  }

  /** Follows what the server's answer says: no more left than it has, no faster than it refills. */
  private follow(server: ServerRateLimit): void {
    this.refill();
    const now = this.clock.now();
    const { limit, remaining, resetSeconds } = server;
    this.serverLimit = limit;
    // calls sent since this one was counted may already be in the server's figure: conservative
    this.tokens = Math.min(this.tokens, remaining - this.inFlight);
    if (server.refused) {
      // what the budget believed was wrong (another client of the token, a lowered limit): learn again
      this.serverRate = undefined;
      this.window = undefined;
    } else {
      this.accepted++;
      const count = remaining + this.accepted;
      if (remaining >= limit - 1 || this.window === undefined) this.window = { at: now, count };
      else if (now - this.window.at >= 1000)
        this.proveRate(
          (count - this.window.count - 1 - this.inFlight) / ((now - this.window.at) / 1000),
        );
    }
    // a bucket less than half full: how far it is from full says something of the rate too
    if (remaining < limit / 2 && resetSeconds > 0)
      this.proveRate((limit - remaining - 1) / resetSeconds);
  }

  private proveRate(lowerBound: number): void {
    if (lowerBound > 0 && lowerBound > (this.serverRate ?? 0)) this.serverRate = lowerBound;
  }
}

/**
 * The rate-limit headers of an answer, when the server sent them. Mattermost limits an API call
 * twice, by token and then by user id, so an accepted call carries each header twice ("5, 5"
 * once joined): the tighter of the two counts.
 */
export function rateLimitInfo(
  status: number,
  headers: { get(name: string): string | null },
): ServerRateLimit | undefined {
  const limit = headerNumbers(headers.get("x-ratelimit-limit"));
  const remaining = headerNumbers(headers.get("x-ratelimit-remaining"));
  if (limit.length === 0 || remaining.length === 0 || Math.min(...limit) < 1) return undefined;
  const reset = headerNumbers(headers.get("x-ratelimit-reset"));
  return {
    limit: Math.min(...limit),
    remaining: Math.max(0, Math.min(...remaining)),
    resetSeconds: reset.length ? Math.max(...reset) : 0,
    refused: status === 429,
  };
}

/** The numbers of a header that may be sent more than once (joined by commas); none if one is not a number. */
export function headerNumbers(header: string | null): number[] {
  if (header === null || header.trim() === "") return [];
  const values = header.split(",").map((v) => Number(v.trim()));
  return values.every((v) => Number.isFinite(v)) ? values : [];
}

/** The budgets of this process, by server and token. */
const budgets = new Map<string, RateBudget>();

/**
 * The budget of `token` on `url`, made with `options` by the first client that asks; every
 * later client of the same token shares it (whatever rate it asks for).
 */
export function sharedRateBudget(
  url: string,
  token: string,
  options: RateBudgetOptions,
): RateBudget {
  const key = `${url}\n${token}`;
  let budget = budgets.get(key);
  if (!budget) {
    budget = new RateBudget(options);
    budgets.set(key, budget);
  }
  return budget;
}

function round(rate: number): number {
  return Math.round(rate * 10) / 10;
}
