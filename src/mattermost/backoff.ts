/** Exponential backoff with jitter, shared by the REST retries and the WebSocket reconnects. */

/** The exponential ceiling for `attempt` (0-based): `base * 2^attempt`, capped at `max`. */
export function backoffCeiling(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
}

/** "Full jitter": a uniform delay in `[0, ceiling]` (spreads a herd of clients best). */
export function fullJitter(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  return Math.round(random() * backoffCeiling(attempt, baseMs, maxMs));
}

/**
 * Reconnect delays: "equal jitter" (half fixed, half random) so a reconnect loop never
 * spins with near-zero delays, capped, and reset after a healthy connection.
 */
export class Backoff {
  private attempt = 0;
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The next delay; each call raises the ceiling. */
  next(): number {
    const ceiling = backoffCeiling(this.attempt++, this.initialMs, this.maxMs);
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after `ms`; rejects early with the signal's reason when it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
