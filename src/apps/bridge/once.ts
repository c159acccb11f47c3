/**
 * A post's bridge program runs once, though the post may be handled again: an instance killed
 * after the program finished but before the post's claim did leaves the claim to be taken over
 * (src/bot/claims.ts). The finished run is kept under the post's once key, and the run
 * again answers with it instead of running the program a second time. A run cut off by the kill
 * left nothing here: it runs again, with the same `MMBOT_ONCE_KEY`, for the program to make its
 * own effect idempotent.
 */
import type { Store } from "../../store/index.js";
import type { CapturedOutput, RunResult } from "./runner.js";

const PREFIX = "bridge-run:";
/** A post handled again later than this after its run (every instance down for a week) runs the program again. */
export const KEEP_RUNS_MS = 7 * 24 * 3_600_000;

/** Finished runs by once key, in the store's `kv` table. */
export interface FinishedRuns {
  get(onceKey: string): Promise<RunResult | undefined>;
  put(onceKey: string, result: RunResult): Promise<void>;
  /** Forgets the runs stored before `before` (ms); resolves with how many. */
  prune(before: number): Promise<number>;
}

interface StoredOutput {
  base64: string;
  truncated: boolean;
}
interface StoredRun {
  outcome: RunResult["outcome"];
  stdout: StoredOutput;
  stderr: StoredOutput;
  durationMs: number;
}

export function finishedRuns(store: Pick<Store, "kv" | "db">): FinishedRuns {
  return {
    async get(onceKey) {
      const text = await store.kv.get(PREFIX + onceKey);
      if (text === undefined) return undefined;
      const run = JSON.parse(text) as StoredRun;
      return {
        outcome: run.outcome,
        stdout: fromStored(run.stdout),
        stderr: fromStored(run.stderr),
        durationMs: run.durationMs,
      };
    },
    async put(onceKey, result) {
      const run: StoredRun = {
        outcome: result.outcome,
        stdout: toStored(result.stdout),
        stderr: toStored(result.stderr),
        durationMs: result.durationMs,
      };
      await store.kv.set(PREFIX + onceKey, JSON.stringify(run));
    },
    async prune(before) {
      const result = await store.db
        .deleteFrom("kv")
        .where("key", "like", `${PREFIX}%`)
        .where("updated_at", "<", before)
        .executeTakeFirst();
      return Number(result.numDeletedRows ?? 0n);
    },
  };
}

const toStored = (output: CapturedOutput): StoredOutput => ({
  base64: output.bytes.toString("base64"),
  truncated: output.truncated,
});
const fromStored = (output: StoredOutput): CapturedOutput => ({
  bytes: Buffer.from(output.base64, "base64"),
  truncated: output.truncated,
});
