import type { Kysely, Migration, MigrationProvider } from "kysely";

/*
 * Creates use IF NOT EXISTS so that a migration interrupted halfway can simply run again.
 * One ordered set of migrations for both dialects. Names sort in the order they apply
 * (Kysely sorts by name); never edit a released migration, add the next one.
 */
const migrations: Record<string, Migration> = {
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
      await db.schema.createIndex("outbox_status_created").ifNotExists().on("outbox").columns(["status", "created_at"]).execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["outbox", "claims", "kv"]) await db.schema.dropTable(table).execute();
    },
  },
  "0002_todo": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("todo_items")
        .ifNotExists()
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("list_key", "text", (c) => c.notNull())
        .addColumn("text", "text", (c) => c.notNull())
        .addColumn("done", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("created_by", "text", (c) => c.notNull())
        .addColumn("created_by_name", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("done_at", "bigint")
        .addColumn("done_by", "text", (c) => c.notNull().defaultTo(""))
        .addColumn("deleted_at", "bigint")
        .addColumn("due", "bigint")
        .addColumn("assignee", "text", (c) => c.notNull().defaultTo(""))
        .execute();
      await db.schema.createIndex("todo_items_list_key").ifNotExists().on("todo_items").column("list_key").execute();
      await db.schema
        .createTable("todo_views")
        .ifNotExists()
        .addColumn("list_key", "text", (c) => c.primaryKey())
        .addColumn("item_ids", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ["todo_views", "todo_items"]) await db.schema.dropTable(table).execute();
    },
  },
  // `assignee` holds a user id; the name is kept beside it (as `created_by_name`) so a list renders without lookups
  "0003_todo_assignee_name": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("todo_items").addColumn("assignee_name", "text", (c) => c.notNull().defaultTo("")).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("todo_items").dropColumn("assignee_name").execute();
    },
  },
};

/** The in-code migration provider: nothing on disk to find, so it works from `dist/` and bundles. */
export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
