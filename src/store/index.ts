/**
 * The bot's store: Kysely over SQLite (better-sqlite3, the default) or PostgreSQL (pg), with
 * in-code migrations applied on open. Holds small settings (`kv`), claims that make each post
 * handled once across instances and the outbox of replies. Apps add their own tables with their
 * own migrations (`migrateApp`).
 */
import type { Kysely, Migrator } from "kysely";
import { kysely } from "./kysely.js";
import { MmbotError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { claimStore, type ClaimStore } from "./claims.js";
import { createDialect } from "./dialect.js";
import { GroupCommit, type RunTransaction, type Write } from "./group-commit.js";
import { kvStore, type KvStore } from "./kv.js";
import {
  adoptSetAsideMigrations,
  appMigrator,
  setAsideUnknownMigrations,
  type AppMigrations,
} from "./app-migrations.js";
import { coreMigrations, migrationProvider } from "./migrations.js";
import { outboxStore, type OutboxStore } from "./outbox.js";
import type { Database } from "./schema.js";
import { parseStoreUrl } from "./url.js";

export type { Database } from "./schema.js";
export { pendingEntry, type NewOutboxEntry, type OutboxEntry, type OutboxStore } from "./outbox.js";
export type { ClaimStore } from "./claims.js";
export type { KvStore } from "./kv.js";
export { parseStoreUrl, type StoreTarget } from "./url.js";
export { newId, scopedId, scopedSeq } from "./ids.js";
export type { AppMigrations } from "./app-migrations.js";

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
  /** Applies an app's pending migrations (from its own migration table); resolves with those applied. */
  migrateApp(app: AppMigrations): Promise<string[]>;
  /** Which migrations ran and which are still to run, the core's and those of `apps` (as `app/name`), for `mmbot doctor`. */
  migrationStatus(apps?: AppMigrations[]): Promise<{ applied: string[]; pending: string[] }>;
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
    throw new MmbotError(
      "STORE_OPEN",
      `cannot open the store ${target.redacted}: ${messageOf(cause)}`,
      { cause },
    );
  }
  const migrator = new kysely.Migrator({ db, provider: migrationProvider });
  const migrate = async (m: Migrator, label: string): Promise<string[]> => {
    const { error, results = [] } = await m.migrateToLatest();
    if (error) {
      const failed = results.find((r) => r.status === "Error")?.migrationName ?? "?";
      throw new MmbotError(
        "STORE_MIGRATION",
        `store ${target.redacted}: migration ${label}${failed} failed: ${messageOf(error)}`,
        { cause: error },
      );
    }
    const applied = results
      .filter((r) => r.status === "Success")
      .map((r) => `${label}${r.migrationName}`);
    if (applied.length)
      logger.info({ store: target.redacted, migrations: applied }, "store: migrations applied");
    return applied;
  };
  let setAsideExists: boolean | undefined;
  if (options.migrate ?? true) {
    try {
      setAsideExists = await setAsideUnknownMigrations(
        db as Kysely<unknown>,
        Object.keys(coreMigrations),
      );
      await migrate(migrator, "");
    } catch (error) {
      await db.destroy().catch(() => undefined);
      throw error;
    }
  }
  const group = target.dialect === "sqlite" ? new GroupCommit(db) : undefined;
  const write: Write = group ? group.write : (query) => db.executeQuery(query);
  const transaction: RunTransaction = group
    ? group.transaction
    : (work) => db.transaction().execute(work);
  return {
    db,
    dialect: target.dialect,
    url: target.redacted,
    kv: kvStore(db),
    claims: claimStore(db, write),
    outbox: outboxStore(db, write),
    transaction,
    async migrateApp(app) {
      // only a store older than the apps' own tables has rows to hand over (unknown without migrating at open)
      if (setAsideExists !== false) await adoptSetAsideMigrations(db as Kysely<unknown>, app);
      return migrate(appMigrator(db as Kysely<unknown>, app), `${app.name}/`);
    },
    async migrationStatus(apps = []) {
      const all = (await migrator.getMigrations()).map((m) => ({ ...m, label: m.name }));
      for (const app of apps) {
        for (const m of await appMigrator(db as Kysely<unknown>, app).getMigrations())
          all.push({ ...m, label: `${app.name}/${m.name}` });
      }
      return {
        applied: all.filter((m) => m.executedAt).map((m) => m.label),
        pending: all.filter((m) => !m.executedAt).map((m) => m.label),
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
