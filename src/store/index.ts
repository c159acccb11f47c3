/**
 * The bot's store: Kysely over SQLite (better-sqlite3, the default) or PostgreSQL (pg), with
 * in-code migrations applied on open. Holds small settings (`kv`), claims that make each post
 * handled once across instances, the outbox of replies, and the apps' tables (todo).
 */
import type { Kysely } from "kysely";
import { kysely } from "./kysely.js";
import { MmbotError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { claimStore, type ClaimStore } from "./claims.js";
import { createDialect } from "./dialect.js";
import { GroupCommit, type RunTransaction, type Write } from "./group-commit.js";
import { kvStore, type KvStore } from "./kv.js";
import { migrationProvider } from "./migrations.js";
import { outboxStore, type OutboxStore } from "./outbox.js";
import type { Database } from "./schema.js";
import { parseStoreUrl } from "./url.js";

export type { Database } from "./schema.js";
export type { NewOutboxEntry, OutboxEntry, OutboxStore } from "./outbox.js";
export type { ClaimStore } from "./claims.js";
export type { KvStore } from "./kv.js";
export { parseStoreUrl, type StoreTarget } from "./url.js";
export { newId } from "./ids.js";

export interface Store {
  readonly db: Kysely<Database>;
  readonly dialect: "sqlite" | "postgres";
  /** The URL with any password redacted, for logs and `mmbot doctor`. */
  readonly url: string;
  kv: KvStore;
  claims: ClaimStore;
  outbox: OutboxStore;
  /**
   * Runs `work` as one transaction and resolves with its result once committed. Use it for the
   * writes made on every message: on SQLite they share the commit of the other writes of the
   * same event-loop turn (see `group-commit.ts`); on PostgreSQL it is a transaction of its own.
   * Do only database work in `work`: the other writes of the batch wait for it.
   */
  transaction: RunTransaction;
  /** Which migrations ran and which are still to run (for `mmbot doctor`). */
  migrationStatus(): Promise<{ applied: string[]; pending: string[] }>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  logger?: Logger;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
}

/**
 * Opens (and by default migrates) the store at `url`: `sqlite:./data/mmbot.db` (relative to
 * the working directory; the directory is created), `sqlite:/abs/path.db`, `sqlite::memory:`,
 * or `postgres://user:password@host:5432/db`. A bad URL is a `ConfigError`; a store that
 * cannot be reached or migrated is an `MmbotError` (`STORE_OPEN`, `STORE_MIGRATION`).
 * @example
 * const store = await openStore("sqlite:./data/mmbot.db");
 * if (await store.claims.claim(`post:${post.id}`, "instance-1")) handle(post);
 * await store.close();
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const logger = options.logger ?? silentLogger();
  const target = parseStoreUrl(url);
  let db: Kysely<Database>;
  try {
    db = new kysely.Kysely<Database>({ dialect: await createDialect(target, logger) });
    await kysely.sql`select 1`.execute(db);
  } catch (cause) {
    throw new MmbotError("STORE_OPEN", `cannot open the store ${target.redacted}: ${messageOf(cause)}`, { cause });
  }
  const migrator = new kysely.Migrator({ db, provider: migrationProvider });
  if (options.migrate ?? true) {
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) {
      await db.destroy().catch(() => undefined);
      const failed = results.find((r) => r.status === "Error")?.migrationName ?? "?";
      throw new MmbotError("STORE_MIGRATION", `store ${target.redacted}: migration ${failed} failed: ${messageOf(error)}`, { cause: error });
    }
    const applied = results.filter((r) => r.status === "Success").map((r) => r.migrationName);
    if (applied.length) logger.info({ store: target.redacted, migrations: applied }, "store: migrations applied");
  }
  const group = target.dialect === "sqlite" ? new GroupCommit(db) : undefined;
  const write: Write = group ? group.write : (query) => db.executeQuery(query);
  const transaction: RunTransaction = group ? group.transaction : (work) => db.transaction().execute(work);
  return {
    db,
    dialect: target.dialect,
    url: target.redacted,
    kv: kvStore(db),
    claims: claimStore(db, write),
    outbox: outboxStore(db, write),
    transaction,
    async migrationStatus() {
      const all = await migrator.getMigrations();
      return {
        applied: all.filter((m) => m.executedAt).map((m) => m.name),
        pending: all.filter((m) => !m.executedAt).map((m) => m.name),
      };
    },
    async close() {
      await group?.flush();
      await db.destroy();
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
