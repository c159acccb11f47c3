/**
 * The databases a store contract suite runs against: a SQLite temp file always, and a fresh
 * PostgreSQL database when TEST_DATABASE_URL is set (e.g. postgres://root@127.0.0.1:5432/test).
 * Without it the PostgreSQL suite is skipped by name, never silently passed.
 *
 * @example
 * describeEachDatabase("store contract", (db) => {
 *   it("opens", async () => { const store = await openStore(db.url()); await store.close(); });
 * });
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe } from "vitest";

export interface FreshDatabase {
  /** A store URL for `openStore`. */
  url: string;
  /** Removes the database (close every store on it first). */
  drop(): Promise<void>;
}

export interface TestDatabase {
  dialect: "sqlite" | "postgres";
  /** For the suite title: says how to enable a skipped database. */
  label: string;
  /** False when not configured: the suite must be skipped (by name). */
  enabled: boolean;
  /** A new, empty database of this kind. */
  create(): Promise<FreshDatabase>;
}

/** SQLite always; PostgreSQL (enabled iff TEST_DATABASE_URL is set). */
export function testDatabases(): TestDatabase[] {
  const adminUrl = process.env.TEST_DATABASE_URL;
  return [
    { dialect: "sqlite", label: "sqlite", enabled: true, create: async () => freshSqlite() },
    {
      dialect: "postgres",
      label: adminUrl ? "postgres" : "postgres: set TEST_DATABASE_URL",
      enabled: Boolean(adminUrl),
      create: () => {
        if (!adminUrl) throw new Error("TEST_DATABASE_URL is not set");
        return freshPostgres(adminUrl);
      },
    },
  ];
}

/**
 * Declares `title (<database>)` once per test database, each with its own fresh database made
 * before its tests and dropped after; `db.url()` is valid inside tests and hooks. `db.fresh()`
 * makes another empty database of the same kind (dropped after the suite too).
 */
export function describeEachDatabase(
  title: string,
  body: (db: {
    dialect: TestDatabase["dialect"];
    url(): string;
    fresh(): Promise<FreshDatabase>;
  }) => void,
): void {
  for (const target of testDatabases()) {
    describe.skipIf(!target.enabled)(`${title} (${target.label})`, () => {
      let fresh: FreshDatabase | undefined;
      const extra: FreshDatabase[] = [];
      beforeAll(async () => {
        fresh = await target.create();
      });
      afterAll(async () => {
        await fresh?.drop();
        for (const db of extra) await db.drop();
      });
      body({
        dialect: target.dialect,
        fresh: async () => {
          const db = await target.create();
          extra.push(db);
          return db;
        },
        url: () => {
          if (!fresh)
            throw new Error(
              "the test database is made in beforeAll: call db.url() inside a test or hook",
            );
          return fresh.url;
        },
      });
    });
  }
}

/** A SQLite file in a new temp directory. */
export function freshSqlite(): FreshDatabase {
  const dir = mkdtempSync(join(tmpdir(), "mmbot-store-"));
  return {
    url: `sqlite:${join(dir, "test.db")}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A new database `mmbot_test_<random>` on the server of `adminUrl`, so parallel test files never meet. */
export async function freshPostgres(adminUrl: string): Promise<FreshDatabase> {
  const name = `mmbot_test_${randomBytes(6).toString("hex")}`;
  await withClient(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withClient(adminUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => undefined),
  };
}

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
