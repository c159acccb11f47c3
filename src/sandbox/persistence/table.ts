/** What a world file keeps: rows of JSON by kind and id, put back kind by kind when it is opened. */

/** One saved record: JSON-able `data`, and bytes kept beside it (a file's content). */
export interface Row {
  id: string;
  data: unknown;
  blob?: Buffer;
}

/**
 * One kind of record. Tables load in the order they are listed (users before their tokens and
 * memberships); a new kind or a changed record shape needs a new `WORLD_FORMAT`.
 */
export interface Table {
  kind: string;
  /** Every record as it is now. */
  rows(): Iterable<Row>;
  /**
   * For many records that are never removed and whose `update_at` moves on every change (posts,
   * as the server's `since` queries rely on): the rows changed at or after `ms`. A save then
   * writes these instead of comparing every row.
   */
  rowsSince?(ms: number): Iterable<Row>;
  /** Puts back every saved record of this kind, into an empty world. */
  load(rows: Row[]): void;
}

/** A table of records kept in a map by id as they are (commands, webhooks). */
export function mapTable<T>(kind: string, map: Map<string, T>): Table {
  return {
    kind,
    *rows() {
      for (const [id, data] of map) yield { id, data };
    },
    load(rows) {
      for (const row of rows) map.set(row.id, row.data as T);
    },
  };
}
