import type { Kysely } from "kysely";
import type { Write } from "./group-commit.js";
import { prepareQuery } from "./prepared.js";
import type { Database } from "./schema.js";

/**
 * Exactly-once handling across instances: the first to claim an id wins, and keeps it by
 * renewing it while it works. A claim neither finished nor renewed for a lease (its owner was
 * killed mid-handling) may be taken over, so the post is handled again instead of lost.
 */
export interface ClaimStore {
  /**
   * True iff this call is the first to claim `id`, or takes over a claim left unfinished and
   * not renewed since `staleBefore` (ms); otherwise (any instance has it) false.
   */
  claim(id: string, owner: string, staleBefore?: number): Promise<boolean>;
  /** The handling of `id` is over: its claim is never taken over. */
  finish(id: string): Promise<void>;
  /** `owner` is still working on these ids: their lease starts again. */
  renew(ids: readonly string[], owner: string): Promise<void>;
  /** Ids of unfinished claims not renewed since `staleBefore` (ms), oldest first. */
  abandoned(staleBefore: number, limit?: number): Promise<string[]>;
}

/** `write` runs the insert (grouped with others on SQLite, see `group-commit.ts`). */
export function claimStore(db: Kysely<Database>, write: Write): ClaimStore {
  // one claim and one finish per message: compiled once (see prepared.ts)
  const insert = prepareQuery(["id", "owner", "claimed_at"], (p) =>
    db
      .insertInto("claims")
      .values({ id: p.id, owner: p.owner, claimed_at: p.claimed_at, finished_at: 0 })
      .onConflict((oc) => oc.column("id").doNothing()),
  );
  const finish = prepareQuery(["id", "finished_at"], (p) =>
    db.updateTable("claims").set({ finished_at: p.finished_at }).where("id", "=", p.id),
  );
  return {
    async claim(id, owner, staleBefore) {
      const now = Date.now();
      const result = await write(insert({ id, owner, claimed_at: now }));
      if ((result.numAffectedRows ?? 0n) > 0n) return true;
      if (staleBefore === undefined) return false;
      // one statement: of two instances taking over the same claim, one updates the row
      const taken = await db
        .updateTable("claims")
        .set({ owner, claimed_at: now })
        .where("id", "=", id)
        .where("finished_at", "=", 0)
        .where("claimed_at", "<", staleBefore)
        .executeTakeFirst();
      return (taken.numUpdatedRows ?? 0n) > 0n;
    },
    async finish(id) {
      await write(finish({ id, finished_at: Date.now() }));
    },
    async renew(ids, owner) {
      if (ids.length === 0) return;
      await db
        .updateTable("claims")
        .set({ claimed_at: Date.now() })
        .where("id", "in", ids)
        .where("owner", "=", owner)
        .where("finished_at", "=", 0)
        .execute();
    },
    async abandoned(staleBefore, limit = 50) {
      const rows = await db
        .selectFrom("claims")
        .select("id")
        .where("finished_at", "=", 0)
        .where("claimed_at", "<", staleBefore)
        .orderBy("claimed_at")
        .limit(limit)
        .execute();
      return rows.map((r) => r.id);
    },
  };
}
