import type { Kysely, Migration, MigrationProvider } from "kysely";
import { kysely } from "./kysely.js";

/*
 * Creates use IF NOT EXISTS so that a migration interrupted halfway can simply run again.
 * One ordered set of migrations for both dialects. Names sort in the order they apply
 * (Kysely sorts by name); never edit a released migration, add the next one.
 */
export const coreMigrations: Record<string, Migration> = {
  "0001_core": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("kv")
        .ifNotExists()
        .addColumn("key", "text", (c) => c.primaryKey())
        .addColumn("value", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("claims")
        .ifNotExists()
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("claimed_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("outbox")
        .ifNotExists()
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("channel_id", "text", (c) => c.notNull())
        .addColumn("root_id", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("user_id", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("message", "text", (c) => c.notNull())
        .addColumn("props", "text", (c) => c.notNull().defaultTo("{}"))
        .addColumn("file_ids", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("attempts", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("post_id", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("last_error", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("outbox_status_created")
        .ifNotExists()
        .on("outbox")
        .columns(["status", "created_at"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["outbox", "claims", "kv"]) await db.schema.dropTable(table).execute();
    },
  },
  // a claim is finished once its handling (and its replies' outbox entries) is done; an
  // unfinished claim whose owner stopped renewing it is handled again (see src/bot/claims.ts)
  "0002_claims_finished": {
    async up(db: Kysely<unknown>) {
      // run again (interrupted, or set aside by an older version sharing the database): the column may be there
      const claims = (await db.introspection.getTables()).find((t) => t.name === "claims");
      if (!claims?.columns.some((c) => c.name === "finished_at")) {
        await db.schema
          .alterTable("claims")
          .addColumn("finished_at", "bigint", (c) => c.notNull().defaultTo(0))
          .execute();
        // claims made before this migration were finished in their day
        await kysely.sql`update claims set finished_at = claimed_at`.execute(db);
      }
      await db.schema
        .createIndex("claims_unfinished")
        .ifNotExists()
        .on("claims")
        .columns(["finished_at", "claimed_at"])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("claims").dropColumn("finished_at").execute();
    },
  },
};

/** The in-code migration provider: nothing on disk to find, so it works from `dist/` and bundles. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(coreMigrations),
};
