/**
 * Apps bring their own migrations: a fresh store has only the core tables, installing an app
 * creates its tables (from its own migration table), and a store made when the todo tables were
 * core migrations is recognised instead of migrated twice. On SQLite and PostgreSQL.
 */
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todo } from "../../src/apps/todo/index.js";
import { todoMigrations } from "../../src/apps/todo/migrations.js";
import { TodoService } from "../../src/apps/todo/service.js";
import { App } from "../../src/bot/app.js";
import { kysely } from "../../src/store/kysely.js";
import { coreMigrations } from "../../src/store/migrations.js";
import { openStore, type Store } from "../../src/store/index.js";
import { describeEachDatabase } from "../helpers/databases.js";

const alice = { id: "alice-id", username: "alice" };

async function tableNames(store: Store): Promise<string[]> {
  return (await store.db.introspection.getTables()).map((t) => t.name).sort();
}

describeEachDatabase("app migrations", (db) => {
  let store: Store;
  beforeAll(async () => {
    const fresh = await db.fresh();
    store = await openStore(fresh.url);
  });
  afterAll(() => store.close());

  it("a fresh store has no app table; installing the todo app creates its tables", async () => {
    expect((await tableNames(store)).filter((t) => t.startsWith("todo"))).toEqual([]);
    expect(await store.migrateApp(todo())).toEqual([
      "todo/0002_todo",
      "todo/0003_todo_assignee_name",
      "todo/0004_todo_once_key",
    ]);
    expect(await tableNames(store)).toEqual(
      expect.arrayContaining(["todo_items", "todo_views", "todo_migration"]),
    );
    const service = new TodoService(store);
    expect((await service.add("list", alice, "buy milk")).ok).toBe(true);
    // idempotent
    expect(await store.migrateApp(todo())).toEqual([]);
    expect(await store.migrationStatus([todo()])).toEqual({
      applied: [
        "0001_core",
        "0002_claims_finished",
        "todo/0002_todo",
        "todo/0003_todo_assignee_name",
        "todo/0004_todo_once_key",
      ],
      pending: [],
    });
  });

  it("the todo once key's migration runs again over a store it already ran on, halfway or whole", async () => {
    const again = await db.fresh();
    const s = await openStore(again.url);
    try {
      await s.migrateApp(todo());
      const up = todoMigrations["0004_todo_once_key"]!.up;
      await up(s.db as Kysely<unknown>); // whole: column and index there
      await s.db.schema.dropIndex("todo_items_once_key").execute();
      await up(s.db as Kysely<unknown>); // halfway (interrupted after the column): the index comes back
      const service = new TodoService(s);
      await service.add("list", alice, "buy milk", { onceKey: "post:p1#todo" });
      await service.add("list", alice, "buy milk", { onceKey: "post:p1#todo" });
      expect((await service.list("list")).map((i) => i.item.text)).toEqual(["buy milk"]);
    } finally {
      await s.close();
    }
  });

  it("an app of one's own gets its migrations applied, in name order, once", async () => {
    const notes = new App({
      name: "notes",
      migrations: {
        "0001_notes": {
          up: (k) =>
            k.schema
              .createTable("notes")
              .addColumn("id", "text", (c) => c.primaryKey())
              .execute(),
        },
        "0002_note_text": {
          up: (k) => k.schema.alterTable("notes").addColumn("text", "text").execute(),
        },
      },
    });
    expect(await store.migrationStatus([notes])).toMatchObject({
      pending: ["notes/0001_notes", "notes/0002_note_text"],
    });
    expect(await store.migrateApp(notes)).toEqual(["notes/0001_notes", "notes/0002_note_text"]);
    const columns = (await store.db.introspection.getTables())
      .find((t) => t.name === "notes")
      ?.columns.map((c) => c.name);
    expect(columns).toEqual(["id", "text"]);
  });

  it("takes over a store whose todo tables were made by the core's migrations, keeping its items", async () => {
    const legacy = await db.fresh();
    // as 0.1.0 did: the todo migrations of then in the core's migration table
    const old = await openStore(legacy.url, { migrate: false });
    const { "0002_todo": todoTables, "0003_todo_assignee_name": assigneeName } = todoMigrations;
    const migrator = new kysely.Migrator({
      db: old.db as Kysely<unknown>,
      provider: {
        getMigrations: async () => ({
          ...coreMigrations,
          "0002_todo": todoTables!,
          "0003_todo_assignee_name": assigneeName!,
        }),
      },
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    // an item as 0.1.0 stored it (today's service writes a column it did not have)
    await kysely.sql`insert into todo_items (id, list_key, text, created_by, created_by_name, created_at) values ('item1', 'list', 'kept from before', ${alice.id}, ${alice.username}, 0)`.execute(
      old.db,
    );
    await old.close();

    const reopened = await openStore(legacy.url);
    try {
      expect(await reopened.migrationStatus()).toEqual({
        applied: ["0001_core", "0002_claims_finished"],
        pending: [],
      });
      expect(await reopened.migrateApp(todo())).toEqual(["todo/0004_todo_once_key"]); // the old ones adopted, not run again
      expect(await reopened.migrationStatus([todo()])).toMatchObject({ pending: [] });
      expect((await new TodoService(reopened).list("list")).map((i) => i.item.text)).toEqual([
        "kept from before",
      ]);
    } finally {
      await reopened.close();
    }
  });
});

describe("app names", () => {
  it("must name a table", () => {
    expect(() => new App({ name: "my-app" })).toThrow(/lower-case letters, digits and _/);
  });
});
