/** The finished runs a bridge keeps per post (src/apps/bridge/once.ts), on each store. */
import { expect, it } from "vitest";
import { finishedRuns } from "../../src/apps/bridge/once.js";
import type { RunResult } from "../../src/apps/bridge/runner.js";
import { openStore } from "../../src/store/index.js";
import { describeEachDatabase } from "../helpers/databases.js";

describeEachDatabase("a bridge's finished runs", (db) => {
  it("gives back the output byte for byte (any bytes, the truncated flags), and forgets only the old ones", async () => {
    const store = await openStore((await db.fresh()).url);
    try {
      const runs = finishedRuns(store);
      const result: RunResult = {
        outcome: { kind: "exited", code: 3 },
        stdout: { bytes: Buffer.from([0xff, 0x00, 0x61, 0x0a]), truncated: true },
        stderr: { bytes: Buffer.from("oops\n"), truncated: false },
        durationMs: 42,
      };
      expect(await runs.get("post:a#bridge")).toBeUndefined();
      await runs.put("post:a#bridge", result);
      expect(await runs.get("post:a#bridge")).toEqual(result);

      await store.kv.set("not-a-run", "kept");
      expect(await runs.prune(Date.now() - 60_000)).toBe(0);
      expect(await runs.prune(Date.now() + 1)).toBe(1);
      expect(await runs.get("post:a#bridge")).toBeUndefined();
      expect(await store.kv.get("not-a-run")).toBe("kept");
    } finally {
      await store.close();
    }
  });
});
