import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { DialectAdapter, Dialect, SqliteDatabase, SqliteStatement } from "kysely";
import { importOptional } from "../errors.js";
import type { Logger } from "../log.js";
import { kysely } from "./kysely.js";
import type { StoreTarget } from "./url.js";

const INT8_OID = 20;
const STATEMENT_CACHE_SIZE = 256;

/**
 * The Kysely dialect for a parsed store URL: better-sqlite3 (WAL) or a pg pool. Each driver is
 * loaded only when its dialect is used: a SQLite bot need not load pg, nor the other way round.
 */
export async function createDialect(target: StoreTarget, logger: Logger): Promise<Dialect> {
  if (target.dialect === "sqlite") {
    if (target.path !== ":memory:") mkdirSync(dirname(target.path), { recursive: true });
    const { default: BetterSqlite3 } = await import("better-sqlite3");
    const database = new BetterSqlite3(target.path);
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    // A checkpoint copies the WAL into the database and fsyncs both, synchronously on the event
    // loop: under load, with the default of every 1,000 pages, those stalls were most of the
    // bot's store time. Every 10,000 pages (a WAL of up to ~40 MB) makes them ten times rarer,
    // and hot pages (the todo view, indexes) rewritten in between are copied once.
    database.pragma("wal_autocheckpoint = 10000");
    database.pragma("busy_timeout = 5000");
    return new LockingSqliteDialect(database);
  }
  // pg is an optional peer dependency: only a PostgreSQL store needs it
  const { default: pg } = await importOptional(
    "pg",
    "a PostgreSQL store (postgres:// URL)",
    () => import("pg"),
  );
  const pool = new pg.Pool({
    connectionString: target.connectionString,
    max: 10,
    // bigint columns hold ms timestamps (and count(*)): safe as JS numbers, so read them as such
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID && format !== "binary"
          ? (value: string) => Number(value)
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // an idle client's connection dropping must not crash the process; the next query reconnects
  pool.on("error", (error) =>
    logger.warn({ err: error }, "store: idle PostgreSQL connection failed"),
  );
  return new kysely.PostgresDialect({ pool });
}

/**
 * Kysely's SQLite adapter takes no migration lock (it assumes one connection), so two
 * processes opening a new file at once would both create the tables. Take SQLite's write lock
 * (BEGIN IMMEDIATE) around the migrations instead; polled, because better-sqlite3's
 * busy_timeout waits synchronously and would freeze a process that holds the lock itself.
 */
class LockingSqliteDialect extends kysely.SqliteDialect {
  constructor(private readonly database: BetterSqlite3.Database) {
    super({ database: cachingStatements(database) });
  }

  override createAdapter(): DialectAdapter {
    return new SqliteLockingAdapter(this.database);
  }
}

class SqliteLockingAdapter extends kysely.SqliteAdapter {
  constructor(private readonly database: BetterSqlite3.Database) {
    super();
  }

  override async acquireMigrationLock(): Promise<void> {
    const timeout = this.database.pragma("busy_timeout", { simple: true }) as number;
    this.database.pragma("busy_timeout = 0");
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          this.database.exec("BEGIN IMMEDIATE");
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() > deadline)
            throw error;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
    } finally {
      this.database.pragma(`busy_timeout = ${timeout}`);
    }
  }

  override async releaseMigrationLock(): Promise<void> {
    if (this.database.inTransaction) this.database.exec("COMMIT");
  }
}

/** Kysely's SQLite driver prepares every query anew; reuse prepared statements instead. */
function cachingStatements(database: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql) {
      let statement = cache.get(sql);
      if (!statement) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
        statement = database.prepare(sql) as unknown as SqliteStatement;
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}
