/** When and how long to retry a REST call. */
import { MattermostApiError, TransportError } from "../errors.js";
import { fullJitter } from "./backoff.js";

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
export function serverRetryHintMs(headers: { get(name: string): string | null }, now: number = Date.now()): number | undefined {
  const retryAfter = headers.get("retry-after");
  if (retryAfter !== null && retryAfter.trim() !== "") {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headers.get("x-ratelimit-reset");
  if (reset !== null && reset.trim() !== "") {
    const seconds = Number(reset);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  }
  return undefined;
}

/** The wait before retry number `attempt` (0-based): the server's hint if any, else full jitter; capped. */
export function retryDelayMs(attempt: number, options: ResolvedRetryOptions, hintMs?: number): number {
  if (hintMs !== undefined) return Math.min(options.maxDelayMs, hintMs);
  return fullJitter(attempt, options.baseDelayMs, options.maxDelayMs);
}
