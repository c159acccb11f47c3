/**
 * Each app's migrations are its own: they run from the app's own Kysely migration table
 * (`<app>_migration`), so the core schema holds no app table and a store only gets the tables of
 * the apps installed into it. Stores made before apps had their own tables recorded the apps'
 * migrations in the core table: those rows are set aside at open and handed to the app that
 * declares a migration of the same name.
 */
import type { Kysely, Migration } from "kysely";
import { kysely } from "./kysely.js";

/** Where migrations the core does not know wait for their app. */
const SET_ASIDE = "mmbot_migration_set_aside";
const CORE_TABLE = "kysely_migration";

export interface AppMigrations {
  /** Letters, digits and `_`: names the app's migration table. */
  name: string;
  migrations: Record<string, Migration>;
}

const APP_NAME = /^[a-z][a-z0-9_]{0,40}$/;

export function checkAppName(name: string): void {
  if (!APP_NAME.test(name))
    throw new TypeError(
      `app name ${JSON.stringify(name)}: expected lower-case letters, digits and _ (it names the app's migration table)`,
    );
}

export function appMigrator(db: Kysely<unknown>, app: AppMigrations) {
  checkAppName(app.name);
  return new kysely.Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(app.migrations) },
    migrationTableName: `${app.name}_migration`,
    migrationLockTableName: `${app.name}_migration_lock`,
  });
}

/**
 * Moves the core table's rows of migrations the core does not declare aside (older stores).
 * Resolves with whether the set-aside table exists, so that apps need not look for it again.
 */
export async function setAsideUnknownMigrations(
  db: Kysely<unknown>,
  coreNames: readonly string[],
): Promise<boolean> {
  const tables = new Set(
    (await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name),
  );
  if (!tables.has(CORE_TABLE)) return tables.has(SET_ASIDE);
  const any = db as Kysely<Record<string, { name: string; timestamp: string }>>;
  const rows = await any.selectFrom(CORE_TABLE).select(["name", "timestamp"]).execute();
  const unknown = rows.filter((r) => !coreNames.includes(r.name));
  if (unknown.length === 0) return tables.has(SET_ASIDE);
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable(SET_ASIDE)
      .ifNotExists()
      .addColumn("name", "varchar(255)", (c) => c.primaryKey())
      .addColumn("timestamp", "varchar(255)", (c) => c.notNull())
      .execute();
    const t = trx as Kysely<Record<string, { name: string; timestamp: string }>>;
    for (const row of unknown) {
      await t
        .insertInto(SET_ASIDE)
        .values(row)
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
      await t.deleteFrom(CORE_TABLE).where("name", "=", row.name).execute();
    }
  });
  return true;
}

/** Gives the app the set-aside rows of its own migrations, so they are not run twice. */
export async function adoptSetAsideMigrations(
  db: Kysely<unknown>,
  app: AppMigrations,
): Promise<void> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === SET_ASIDE)) return;
  const t = db as Kysely<Record<string, { name: string; timestamp: string }>>;
  const names = Object.keys(app.migrations);
  if (names.length === 0) return;
  const rows = await t
    .selectFrom(SET_ASIDE)
    .select(["name", "timestamp"])
    .where("name", "in", names)
    .execute();
  if (rows.length === 0) return;
  const table = `${app.name}_migration`;
  await db.transaction().execute(async (trx) => {
    // the shape Kysely's Migrator makes (and checks for) itself
    await trx.schema
      .createTable(table)
      .ifNotExists()
      .addColumn("name", "varchar(255)", (c) => c.notNull().primaryKey())
      .addColumn("timestamp", "varchar(255)", (c) => c.notNull())
      .execute();
    const tt = trx as Kysely<Record<string, { name: string; timestamp: string }>>;
    for (const row of rows) {
      await tt
        .insertInto(table)
        .values(row)
        .onConflict((oc) => oc.column("name").doNothing())
        .execute();
      await tt.deleteFrom(SET_ASIDE).where("name", "=", row.name).execute();
    }
  });
}
