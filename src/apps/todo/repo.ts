import type { Kysely, Selectable } from "kysely";
import type { Store } from "../../store/index.js";
import { newId } from "../../store/ids.js";
import { prepareQuery } from "../../store/prepared.js";
import type { Database } from "../../store/schema.js";
import type { TodoItemsTable, TodoTables } from "./schema.js";

/** One item of a todo list. */
export interface TodoItem {
  /** Stable id (26 characters), for buttons and slash commands. */
  id: string;
  listKey: string;
  text: string;
  done: boolean;
  createdBy: string;
  createdByName: string;
  createdAt: Date;
  doneAt: Date | undefined;
  doneBy: string;
  /** Set when deleted (by `delete` or `clear done`); a deleted item can be restored. */
  deletedAt: Date | undefined;
  due: Date | undefined;
  /** A user id, "" when nobody is assigned. */
  assignee: string;
  assigneeName: string;
}

/** The todo tables: items and the order each list was last shown in. Each method is one or two statements. */
export class TodoRepo {
  // `add` runs on every "add" command: its statements are compiled once (see store/prepared.ts)
  private readonly lockView;
  private readonly insertItem;
  private readonly itemByOnceKey;
  private readonly saveViewIds;

  private readonly db: Kysely<Database & TodoTables>;

  constructor(private readonly store: Pick<Store, "db" | "transaction">) {
    const db = store.db.withTables<TodoTables>();
    this.db = db;
    // creates the view row if missing and returns its ids; the write takes the row (or database) lock
    this.lockView = prepareQuery(["list_key", "at"], (p) =>
      db
        .insertInto("todo_views")
        .values({ list_key: p.list_key, item_ids: "[]", updated_at: p.at })
        .onConflict((oc) => oc.column("list_key").doUpdateSet({ updated_at: p.at }))
        .returning("item_ids"),
    );
    // a second add with the same once key (its post handled again) inserts nothing
    this.insertItem = prepareQuery(ITEM_COLUMNS, (p) =>
      db
        .insertInto("todo_items")
        .values(p)
        .onConflict((oc) => oc.column("once_key").doNothing()),
    );
    this.itemByOnceKey = prepareQuery(["once_key"], (p) =>
      db.selectFrom("todo_items").selectAll().where("once_key", "=", p.once_key),
    );
    this.saveViewIds = prepareQuery(["list_key", "item_ids"], (p) =>
      db.updateTable("todo_views").set({ item_ids: p.item_ids }).where("list_key", "=", p.list_key),
    );
  }

  /**
   * Inserts an item and appends it to the list's last shown order, in one transaction; returns
   * its 1-based number in that order. The view row is written first, which locks it (PostgreSQL)
   * or takes the write lock (SQLite), so concurrent adds cannot lose each other. An add with the
   * `onceKey` of an earlier one inserts nothing and returns the item that one made (its number
   * undefined when the list as last shown no longer has it).
   */
  async add(
    item: Omit<TodoItem, "id" | "done" | "doneAt" | "doneBy" | "deletedAt">,
    onceKey?: string,
  ): Promise<{ item: TodoItem; number: number | undefined }> {
    const created = {
      ...item,
      id: newId(item.createdAt.getTime()),
      done: false,
      doneAt: undefined,
      doneBy: "",
      deletedAt: undefined,
    };
    const at = item.createdAt.getTime();
    return this.store.transaction(async (trx) => {
      const { rows } = await trx.executeQuery(this.lockView({ list_key: item.listKey, at }));
      const ids = parseIds(rows[0]!.item_ids);
      const inserted = await trx.executeQuery(
        this.insertItem({ ...toRow(created), once_key: onceKey ?? null }),
      );
      if (onceKey !== undefined && (inserted.numAffectedRows ?? 0n) === 0n) {
        const { rows: earlier } = await trx.executeQuery(this.itemByOnceKey({ once_key: onceKey }));
        const made = toItem(earlier[0]!);
        const index = ids.indexOf(made.id);
        return { item: made, number: index === -1 ? undefined : index + 1 };
      }
      ids.push(created.id);
      await trx.executeQuery(
        this.saveViewIds({ list_key: item.listKey, item_ids: JSON.stringify(ids) }),
      );
      return { item: created, number: ids.length };
    });
  }

  /** Items not deleted: open ones first, then done ones, each oldest first. */
  async items(listKey: string): Promise<TodoItem[]> {
    const rows = await this.db
      .selectFrom("todo_items")
      .selectAll()
      .where("list_key", "=", listKey)
      .where("deleted_at", "is", null)
      .orderBy("done")
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    return rows.map(toItem);
  }

  async get(listKey: string, id: string): Promise<TodoItem | undefined> {
    const row = await this.db
      .selectFrom("todo_items")
      .selectAll()
      .where("id", "=", id)
      .where("list_key", "=", listKey)
      .executeTakeFirst();
    return row ? toItem(row) : undefined;
  }

  /** The ids in the order the list was last shown, or undefined if it never was. */
  async view(listKey: string): Promise<string[] | undefined> {
    const row = await this.db
      .selectFrom("todo_views")
      .select("item_ids")
      .where("list_key", "=", listKey)
      .executeTakeFirst();
    return row ? parseIds(row.item_ids) : undefined;
  }

  async saveView(listKey: string, ids: string[], at: Date): Promise<void> {
    const values = { item_ids: JSON.stringify(ids), updated_at: at.getTime() };
    await this.db
      .insertInto("todo_views")
      .values({ list_key: listKey, ...values })
      .onConflict((oc) => oc.column("list_key").doUpdateSet(values))
      .execute();
  }

  /** Marks done or open; false if the item was already in that state (or is deleted). */
  async setDone(id: string, done: boolean, by: string, at: Date): Promise<boolean> {
    const result = await this.db
      .updateTable("todo_items")
      .set(
        done
          ? { done: 1, done_at: at.getTime(), done_by: by }
          : { done: 0, done_at: null, done_by: "" },
      )
      .where("id", "=", id)
      .where("done", "=", done ? 0 : 1)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Deletes (at a time) or restores (null); false if it already was. */
  async setDeleted(id: string, at: Date | null): Promise<boolean> {
    const result = await this.db
      .updateTable("todo_items")
      .set({ deleted_at: at ? at.getTime() : null })
      .where("id", "=", id)
      .where("deleted_at", at ? "is" : "is not", null)
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Deletes every done item of the list; returns how many. */
  async clearDone(listKey: string, at: Date): Promise<number> {
    const result = await this.db
      .updateTable("todo_items")
      .set({ deleted_at: at.getTime() })
      .where("list_key", "=", listKey)
      .where("done", "=", 1)
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
}

const ITEM_COLUMNS = [
  "id",
  "list_key",
  "text",
  "done",
  "created_by",
  "created_by_name",
  "created_at",
  "done_at",
  "done_by",
  "deleted_at",
  "due",
  "assignee",
  "assignee_name",
  "once_key",
] as const satisfies ReadonlyArray<keyof TodoItemsTable>;

function parseIds(text: string): string[] {
  try {
    const ids: unknown = JSON.parse(text);
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

function toRow(item: TodoItem): Omit<TodoItemsTable, "once_key"> {
  return {
    id: item.id,
    list_key: item.listKey,
    text: item.text,
    done: item.done ? 1 : 0,
    created_by: item.createdBy,
    created_by_name: item.createdByName,
    created_at: item.createdAt.getTime(),
    done_at: item.doneAt ? item.doneAt.getTime() : null,
    done_by: item.doneBy,
    deleted_at: item.deletedAt ? item.deletedAt.getTime() : null,
    due: item.due ? item.due.getTime() : null,
    assignee: item.assignee,
    assignee_name: item.assigneeName,
  };
}

function toItem(row: Selectable<TodoItemsTable>): TodoItem {
  const date = (ms: number | string | null) => (ms === null ? undefined : new Date(Number(ms)));
  return {
    id: row.id,
    listKey: row.list_key,
    text: row.text,
    done: Number(row.done) === 1,
    createdBy: row.created_by,
    createdByName: row.created_by_name,
    createdAt: new Date(Number(row.created_at)),
    doneAt: date(row.done_at),
    doneBy: row.done_by,
    deletedAt: date(row.deleted_at),
    due: date(row.due),
    assignee: row.assignee,
    assigneeName: row.assignee_name,
  };
}
