/**
 * The store's tables as Kysely types. Columns are portable across SQLite and PostgreSQL:
 * text, bigint for millisecond timestamps (read back as numbers, see `open.ts`), integer for
 * booleans (0/1) and counters, JSON as text.
 */
export interface KvTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface ClaimsTable {
  id: string;
  owner: string;
  claimed_at: number;
}

export interface OutboxTable {
  id: string;
  kind: "post" | "ephemeral";
  channel_id: string;
  root_id: string;
  user_id: string;
  message: string;
  /** JSON object. */
  props: string;
  /** JSON array of file ids. */
  file_ids: string;
  status: "pending" | "sent" | "failed";
  attempts: number;
  post_id: string;
  last_error: string;
  created_at: number;
  updated_at: number;
}

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
}

export interface TodoViewsTable {
  list_key: string;
  /** JSON array of item ids in the order last shown; numbers in commands index into it. */
  item_ids: string;
  updated_at: number;
}

export interface Database {
  kv: KvTable;
  claims: ClaimsTable;
  outbox: OutboxTable;
  todo_items: TodoItemsTable;
  todo_views: TodoViewsTable;
}
