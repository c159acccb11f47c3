import type { Kysely, Migration } from "kysely";

/*
 * The todo app's migrations, applied from its own table (`todo_migration`). Their names are
 * those they had when they were core migrations, so a store made then is recognised and not
 * migrated twice. Never edit a released migration: add the next one.
 */
export const todoMigrations: Record<string, Migration> = {
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
      await db.schema
        .createIndex("todo_items_list_key")
        .ifNotExists()
        .on("todo_items")
        .column("list_key")
        .execute();
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
      await db.schema
        .alterTable("todo_items")
        .addColumn("assignee_name", "text", (c) => c.notNull().defaultTo(""))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable("todo_items").dropColumn("assignee_name").execute();
    },
  },
  // the add that made an item (`ctx.onceKey`): a post handled again after a kill adds nothing
  // more. Null for items added before, and by dialogs; null never conflicts (SQLite and PostgreSQL).
  "0004_todo_once_key": {
    async up(db: Kysely<unknown>) {
      // run again (interrupted halfway): the column may be there already
      const items = (await db.introspection.getTables()).find((t) => t.name === "todo_items");
      if (!items?.columns.some((c) => c.name === "once_key"))
        await db.schema.alterTable("todo_items").addColumn("once_key", "text").execute();
      await db.schema
        .createIndex("todo_items_once_key")
        .ifNotExists()
        .unique()
        .on("todo_items")
        .column("once_key")
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex("todo_items_once_key").ifExists().execute();
      await db.schema.alterTable("todo_items").dropColumn("once_key").execute();
    },
  },
};
