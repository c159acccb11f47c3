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
  /** Renewed by the owner while it handles the post. */
  claimed_at: number;
  /** When the handling ended (its replies stored in the outbox); 0 while it runs. */
  finished_at: number;
}

export interface OutboxTable {
  id: string;
  kind: "post";
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

export interface Database {
  kv: KvTable;
  claims: ClaimsTable;
  outbox: OutboxTable;
}
