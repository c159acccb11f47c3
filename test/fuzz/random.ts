/**
 * A seeded generator for the fuzz suites: every case derives from one seed, printed on failure
 * so that `MMBOT_FUZZ_SEED=<seed>` replays the same run. `MMBOT_FUZZ_CASES` sets the total size.
 */

/** mulberry32: small, fast, and good enough to pick mutations. */
export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[[3, a], [1, b]]` gives a three times out of four. */
  weighted<T>(items: readonly (readonly [number, T])[]): T {
    const total = items.reduce((sum, [w]) => sum + w, 0);
    let at = this.next() * total;
    for (const [w, item] of items) if ((at -= w) < 0) return item;
    return items[items.length - 1]![1];
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** A string that is hostile to whoever reads it: control characters, quotes, lone surrogates, long runs. */
  nastyString(): string {
    return this.weighted<() => string>([
      [3, () => ""],
      [3, () => " ".repeat(this.int(1, 5))],
      [3, () => "\u0000\u0001\u001f\u007f"],
      [3, () => "\"'\\`${}<script>%00%zz&=?#"],
      [3, () => "\ud800 lone \udfff surrogates"],
      [2, () => "é😀\u202e\u200b"],
      [2, () => "a".repeat(this.int(100, 20_000))],
      [2, () => "__proto__"],
      [2, () => "constructor"],
      [2, () => "/" + "x".repeat(this.int(0, 30))],
      [2, () => String(this.int(-1e9, 1e9))],
      [2, () => "http://127.0.0.1:1/" + "p".repeat(this.int(0, 10))],
      [1, () => "javascript:alert(1)"],
      [1, () => "\n".repeat(this.int(1, 300))],
    ])();
  }

  /** A value of any JSON type, hostile where it can be. */
  anyValue(depth = 0): unknown {
    return this.weighted<() => unknown>([
      [3, () => null],
      [3, () => this.pick([true, false])],
      [3, () => this.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER])],
      [5, () => this.nastyString()],
      [
        2,
        () =>
          depth > 3 ? [] : Array.from({ length: this.int(0, 4) }, () => this.anyValue(depth + 1)),
      ],
      [
        2,
        () =>
          depth > 3
            ? {}
            : Object.fromEntries(
                Array.from({ length: this.int(0, 4) }, () => [
                  this.nastyString().slice(0, 20),
                  this.anyValue(depth + 1),
                ]),
              ),
      ],
    ])();
  }
}

/** The run's seed: `MMBOT_FUZZ_SEED`, else a fresh one (printed with every failure). */
export function fuzzSeed(): number {
  const given = process.env.MMBOT_FUZZ_SEED;
  if (given !== undefined && given !== "") return Number(given) >>> 0;
  return Math.floor(Math.random() * 2 ** 32);
}

/** The default total across the suites (≥ 10,000); `MMBOT_FUZZ_CASES` for a bigger run. */
export const DEFAULT_TOTAL_CASES = 12_000;

/** This target's share of the total number of cases. */
export function casesFor(share: number): number {
  const total = Number(process.env.MMBOT_FUZZ_CASES) || DEFAULT_TOTAL_CASES;
  return Math.max(1, Math.round(total * share));
}

/** The shares of the total: the bot's receiver, the sandbox's write routes, the WebSocket frames. */
export const SHARES = { receiver: 0.45, sandbox: 0.35, websocket: 0.2 } as const;
