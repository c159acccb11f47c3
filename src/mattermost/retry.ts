/** When and how long to retry a REST call. */
import { MattermostApiError, TransportError } from "../errors.js";
import { fullJitter } from "./backoff.js";
import { headerNumbers } from "./rate-budget.js";

export interface RetryOptions {
  /** Total tries, including the first (default 4). `1` disables retries. */
  attempts?: number;
  /** Ceiling of the first backoff (default 200 ms). */
  baseDelayMs?: number;
  /** Cap of every delay, including a server's `Retry-After` (default 10 s). */
  maxDelayMs?: number;
}

export type ResolvedRetryOptions = Required<RetryOptions>;

/** Fills the defaults. */
export function resolveRetryOptions(options: RetryOptions = {}): ResolvedRetryOptions {
  return {
    attempts: Math.max(1, options.attempts ?? 4),
    baseDelayMs: options.baseDelayMs ?? 200,
    maxDelayMs: options.maxDelayMs ?? 10_000,
  };
}

/** Network failures, timeouts, 5xx and 429 are worth another try; other 4xx never are. */
export function isRetryableError(error: unknown): boolean {
  if (error instanceof TransportError) return true;
  if (error instanceof MattermostApiError) return error.status === 429 || error.status >= 500;
  return false;
}

/**
 * The server's own wait hint in ms: `Retry-After` (seconds, or an HTTP date), else
 * `X-RateLimit-Reset` (seconds until the bucket refills). Undefined when absent or unusable.
 */
export function serverRetryHintMs(
  headers: { get(name: string): string | null },
  now: number = Date.now(),
): number | undefined {
  // Mattermost limits by token and again by user; each limiter adds its headers ("1, 2"): the later wins
  const retryAfter = headers.get("retry-after");
  const afterSeconds = headerNumbers(retryAfter).filter((seconds) => seconds >= 0);
  if (afterSeconds.length > 0) return Math.max(...afterSeconds) * 1000;
  if (retryAfter !== null && /[a-z]/i.test(retryAfter)) {
    const date = Date.parse(retryAfter); // an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT")
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headerNumbers(headers.get("x-ratelimit-reset")).filter((seconds) => seconds >= 0);
  return reset.length > 0 ? Math.max(...reset) * 1000 : undefined;
}

/** The wait before retry number `attempt` (0-based): the server's hint if any, else full jitter; capped. */
export function retryDelayMs(
  attempt: number,
  options: ResolvedRetryOptions,
  hintMs?: number,
): number {
  if (hintMs !== undefined) return Math.min(options.maxDelayMs, hintMs);
  return fullJitter(attempt, options.baseDelayMs, options.maxDelayMs);
}
