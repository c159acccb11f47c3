import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Exactly-once handling across instances: the first to claim an id wins. */
export interface ClaimStore {
  /** True iff this call is the first to claim `id`; later calls (any instance) get false. */
  claim(id: string, owner: string): Promise<boolean>;
}

export function claimStore(db: Kysely<Database>): ClaimStore {
  return {
    async claim(id, owner) {
      const result = await db
        .insertInto("claims")
        .values({ id, owner, claimed_at: Date.now() })
        .onConflict((oc) => oc.column("id").doNothing())
        .executeTakeFirst();
      return (result.numInsertedOrUpdatedRows ?? 0n) > 0n;
    },
  };
}
