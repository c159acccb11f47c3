/** Exponential backoff with jitter, shared by the REST retries and the WebSocket reconnects. */

/** The exponential ceiling for `attempt` (0-based): `base * 2^attempt`, capped at `max`. */
export function backoffCeiling(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
}

/** "Full jitter": a uniform delay in `[0, ceiling]` (spreads a herd of clients best). */
export function fullJitter(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.round(random() * backoffCeiling(attempt, baseMs, maxMs));
}

/**
 * Reconnect delays that follow the outage: about a fifth of how long the server has been away
 * (so after an 8 s cut the next attempt comes within ~1.6 s of its return), never under
 * `initialMs`, capped at `maxMs`. Each delay is ×1.2 the last once past the floor (exponential),
 * with "equal jitter" (half fixed, half random) so a fleet never reconnects in step and a
 * loop never spins with near-zero delays.
 */
export class Backoff {
  private attempt = 0;
  private outageStart: number | undefined;
  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
    private readonly now: () => number = Date.now,
  ) {}

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The next delay; the first call starts the outage clock. */
  next(): number {
    const now = this.now();
    this.outageStart ??= now;
    this.attempt++;
    const ceiling = Math.min(
      this.maxMs,
      Math.max(this.initialMs, (now - this.outageStart) * OUTAGE_SHARE),
    );
    return Math.round(ceiling / 2 + (this.random() * ceiling) / 2);
  }

  /** The outage is over (a connection stayed healthy). */
  reset(): void {
    this.attempt = 0;
    this.outageStart = undefined;
  }
}

/** The share of the outage so far that the next reconnect waits at most. */
const OUTAGE_SHARE = 0.2;

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
