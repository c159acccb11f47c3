/** The todo app's tables (its own migrations create them: see migrations.ts). */
export interface TodoItemsTable {
  id: string;
  list_key: string;
  text: string;
  /** 0 or 1. */
  done: number;
  created_by: string;
  created_by_name: string;
  created_at: number;
  /** Null while open. */
  done_at: number | null;
  done_by: string;
  /** Null unless deleted (soft delete: an item can be restored). */
  deleted_at: number | null;
  /** A due time in ms, null when none. */
  due: number | null;
  /** A user id, "" when none. */
  assignee: string;
  /** The assignee's username when assigned, else "". */
  assignee_name: string;
  /** The key of the add that made it (`ctx.onceKey`), unique; null when none was given. */
  once_key: string | null;
}

export interface TodoViewsTable {
  list_key: string;
  /** JSON array of item ids in the order last shown; numbers in commands index into it. */
  item_ids: string;
  updated_at: number;
}

export type TodoTables = {
  todo_items: TodoItemsTable;
  todo_views: TodoViewsTable;
};
