import type { Kysely, Selectable } from "kysely";
import type { Write } from "./group-commit.js";
import { newId, scopePrefix, scopedId, scopedSeq } from "./ids.js";
import { prepareQuery } from "./prepared.js";
import type { Database, OutboxTable } from "./schema.js";

/** A post the bot means to send, kept until it is sent or given up. */
export interface OutboxEntry {
  /** 26 characters of `[a-z0-9]`; sent as `pending_post_id` so a repeat is not a duplicate. */
  id: string;
  /** Always "post": ephemeral posts are not stored by the server, so they are not worth an outbox entry. */
  kind: "post";
  channel_id: string;
  root_id: string;
  /** The target user of an ephemeral post, else "". */
  user_id: string;
  message: string;
  props: Record<string, unknown>;
  file_ids: string[];
  status: "pending" | "sent" | "failed";
  attempts: number;
  post_id: string;
  last_error: string;
  created_at: number;
  updated_at: number;
}

export type NewOutboxEntry = Pick<
  OutboxEntry,
  "kind" | "channel_id" | "root_id" | "user_id" | "message"
> & {
  props?: Record<string, unknown>;
  file_ids?: string[];
  /** Made by the caller (`newId()`) when it sends the post before the entry is stored; else made here. */
  id?: string;
  /**
   * The `seq`-th entry made while handling `scope` (a post's claim): enqueued again (the post
   * handled again after a crash), it is the entry already stored, not a second one.
   */
  once?: { scope: string; seq: number };
};

export interface OutboxStore {
  /**
   * Stores the entries atomically, in order; they come back with their ids. An entry with `once`
   * that is already stored comes back as stored (perhaps sent).
   */
  enqueue(entries: NewOutboxEntry[]): Promise<OutboxEntry[]>;
  markSent(id: string, postId: string): Promise<void>;
  /** Counts a failed try; `final` gives the entry up (status `failed`). */
  markFailed(id: string, error: string, final: boolean): Promise<void>;
  /** Entries still to send, oldest first. */
  pending(limit?: number): Promise<OutboxEntry[]>;
  /** Removes an entry that was never sent (one an earlier run of a handling stored and this run has no use for). */
  discard(id: string): Promise<void>;
  /** The entries stored with `once` of this scope (by an earlier run of the same handling), in `seq` order. */
  scoped(scope: string): Promise<OutboxEntry[]>;
}

const OUTBOX_COLUMNS = [
  "id",
  "kind",
  "channel_id",
  "root_id",
  "user_id",
  "message",
  "props",
  "file_ids",
  "status",
  "attempts",
  "post_id",
  "last_error",
  "created_at",
  "updated_at",
] as const satisfies ReadonlyArray<keyof OutboxTable>;

// far below SQLite's and PostgreSQL's bound-parameter limits at 14 columns a row
const ROWS_PER_INSERT = 500;

/** `write` runs single statements (grouped with others on SQLite, see `group-commit.ts`). */
export function outboxStore(db: Kysely<Database>, write: Write): OutboxStore {
  // the statements of every reply, compiled once (see prepared.ts)
  const insertOne = prepareQuery(OUTBOX_COLUMNS, (p) => db.insertInto("outbox").values(p));
  const insertOneOnce = prepareQuery(OUTBOX_COLUMNS, (p) =>
    db
      .insertInto("outbox")
      .values(p)
      .onConflict((oc) => oc.column("id").doNothing()),
  );
  const markSent = prepareQuery(["id", "post_id", "updated_at"], (p) =>
    db
      .updateTable("outbox")
      .set({ status: "sent", post_id: p.post_id, updated_at: p.updated_at })
      .where("id", "=", p.id),
  );
  return {
    async enqueue(entries) {
      if (entries.length === 0) return [];
      const now = Date.now();
      const rows: OutboxTable[] = entries.map((e) => toRow(pendingEntry(e, now)));
      if (entries.some((e) => e.once)) {
        // one statement, atomic; what an earlier run stored stays and is returned
        const inserted = await write(
          rows.length === 1
            ? insertOneOnce(rows[0]!)
            : db
                .insertInto("outbox")
                .values(rows)
                .onConflict((oc) => oc.column("id").doNothing())
                .compile(),
        );
        // every row new (the common case, a post handled for the first time): nothing to read back
        if (Number(inserted.numAffectedRows ?? 0n) === rows.length) return rows.map(toEntry);
        const stored = new Map(
          (
            await db
              .selectFrom("outbox")
              .selectAll()
              .where(
                "id",
                "in",
                rows.map((r) => r.id),
              )
              .execute()
          ).map((r) => [r.id, r]),
        );
        return rows.map((r) => toEntry(stored.get(r.id) ?? r));
      }
      if (rows.length === 1) {
        await write(insertOne(rows[0]!));
      } else if (rows.length <= ROWS_PER_INSERT) {
        await write(db.insertInto("outbox").values(rows).compile()); // one statement: atomic without a transaction
      } else {
        await db.transaction().execute(async (trx) => {
          for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
            await trx
              .insertInto("outbox")
              .values(rows.slice(i, i + ROWS_PER_INSERT))
              .execute();
          }
        });
      }
      return rows.map(toEntry);
    },
    async markSent(id, postId) {
      await write(markSent({ id, post_id: postId, updated_at: Date.now() }));
    },
    async markFailed(id, error, final) {
      await db
        .updateTable("outbox")
        .set((eb) => ({
          attempts: eb("attempts", "+", 1),
          last_error: error,
          status: final ? "failed" : "pending",
          updated_at: Date.now(),
        }))
        .where("id", "=", id)
        .execute();
    },
    async pending(limit = 100) {
      const rows = await db
        .selectFrom("outbox")
        .selectAll()
        .where("status", "=", "pending")
        .orderBy("created_at")
        .orderBy("id")
        .limit(limit)
        .execute();
      return rows.map(toEntry);
    },
    async discard(id) {
      await db.deleteFrom("outbox").where("id", "=", id).where("status", "!=", "sent").execute();
    },
    async scoped(scope) {
      // the ids of a scope share their first 20 characters: one range of the primary key (bounds
      // of [0-9a-z] only, which every collation orders alike; the filter is for certainty)
      const prefix = scopePrefix(scope);
      const rows = await db
        .selectFrom("outbox")
        .selectAll()
        .where("id", ">=", `${prefix}000000`)
        .where("id", "<=", `${prefix}zzzzzz`)
        .execute();
      return rows
        .filter((r) => r.id.startsWith(prefix))
        .sort((a, b) => scopedSeq(a.id) - scopedSeq(b.id))
        .map(toEntry);
    },
  };
}

/** The entry `input` makes, as stored before its first try (its id made here unless given). */
export function pendingEntry(input: NewOutboxEntry, now: number): OutboxEntry {
  return {
    id: input.id ?? (input.once ? scopedId(input.once.scope, input.once.seq) : newId(now)),
    kind: input.kind,
    channel_id: input.channel_id,
    root_id: input.root_id ?? "",
    user_id: input.user_id ?? "",
    message: input.message,
    props: input.props ?? {},
    file_ids: input.file_ids ?? [],
    status: "pending",
    attempts: 0,
    post_id: "",
    last_error: "",
    created_at: now,
    updated_at: now,
  };
}

function toRow(entry: OutboxEntry): OutboxTable {
  return { ...entry, props: JSON.stringify(entry.props), file_ids: JSON.stringify(entry.file_ids) };
}

function toEntry(row: Selectable<OutboxTable>): OutboxEntry {
  return {
    ...row,
    props: parseJson<Record<string, unknown>>(row.props, {}),
    file_ids: parseJson<string[]>(row.file_ids, []),
    attempts: Number(row.attempts),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
