/** Types of bench/chaos.js, for the suite's reduced chaos test (test/e2e/chaos.test.ts). */
export declare const FAULT_KINDS: readonly string[];

export interface ChaosOptions {
  messages?: number;
  channels?: number;
  users?: number;
  faultsPerKind?: number;
  seed?: number;
  /** A PostgreSQL database URL: `instances` (default 3) bot processes share it. */
  postgres?: string;
  instances?: number;
  /** Messages per second. */
  rate?: number;
  /** How long after the last fault the system may take to settle. */
  settleMs?: number;
  log?: (line: string) => void;
}

export interface ChaosFigures {
  seed: number;
  store: "sqlite" | "postgres";
  instances: number;
  messages: number;
  faults: Record<string, number>;
  kills: string[];
  answered: number;
  lost: number;
  duplicated: number;
  otherBotPosts: number;
  otherSamples: string[];
  latencyMs: { p50: number; p99: number; max: number };
  stuck: { unfinishedClaims: number; pendingOutbox: number; failedOutbox: number; total: number };
  lostTokens: string[];
  /** Each duplicated message's token and its answers (id, seconds after the message). */
  duplicatedTokens: string[];
  /** Messages a user's retry posted twice (the sandbox took both): their two answers are right. */
  postedTwice: number;
  durationMs: number;
  passed: boolean;
}

export declare function runChaos(options?: ChaosOptions): Promise<ChaosFigures>;
export declare function formatReport(figures: ChaosFigures): string;
export declare function stuckRows(storeUrl: string): Promise<ChaosFigures["stuck"]>;
