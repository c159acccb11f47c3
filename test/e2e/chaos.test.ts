/**
 * `npm run chaos` at a reduced size (bench/chaos.js drives the built dist/): users post mentions
 * over five channels and their threads while every kind of fault hits at random moments and a
 * bot process is SIGKILLed and restarted; on PostgreSQL three instances share the database and
 * one of them is also killed for good. Every message must be answered exactly once, and nothing
 * may be left unfinished in the store. The seed is printed: a failure can be replayed with
 * `npm run chaos -- --seed <seed> --messages 100 --faults 3 --rate 20`.
 */
import { describe, expect, it } from "vitest";
import { FAULT_KINDS, formatReport, runChaos, type ChaosOptions } from "../../bench/chaos.js";
import { freshPostgres } from "../helpers/databases.js";

const REDUCED: ChaosOptions = { messages: 100, faultsPerKind: 3, rate: 20 };

async function chaos(options: ChaosOptions): Promise<void> {
  const figures = await runChaos({ ...REDUCED, ...options });
  console.log(formatReport(figures));
  for (const kind of FAULT_KINDS) expect(figures.faults[kind], kind).toBe(REDUCED.faultsPerKind);
  expect(figures.kills.length).toBeGreaterThan(0);
  expect({
    answered: figures.answered,
    lost: figures.lost,
    duplicated: figures.duplicated,
    other: figures.otherSamples,
    stuck: figures.stuck.total,
    seed: figures.seed,
  }).toEqual({
    answered: REDUCED.messages,
    lost: 0,
    duplicated: 0,
    other: [],
    stuck: 0,
    seed: figures.seed,
  });
}

describe("chaos (reduced)", () => {
  it("sqlite, one bot process killed and restarted: every message answered exactly once, nothing stuck", async () => {
    await chaos({});
  }, 120_000);

  const adminUrl = process.env.TEST_DATABASE_URL;
  it.skipIf(!adminUrl)(
    `postgres, three instances, one killed and restarted, one killed for good${adminUrl ? "" : " (set TEST_DATABASE_URL)"}`,
    async () => {
      const db = await freshPostgres(adminUrl!);
      try {
        await chaos({ postgres: db.url, instances: 3 });
      } finally {
        await db.drop();
      }
    },
    120_000,
  );
});
