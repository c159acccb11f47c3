import type { Kysely } from "kysely";
import type { Write } from "./group-commit.js";
import { prepareQuery } from "./prepared.js";
import type { Database } from "./schema.js";

/** Exactly-once handling across instances: the first to claim an id wins. */
export interface ClaimStore {
  /** True iff this call is the first to claim `id`; later calls (any instance) get false. */
  claim(id: string, owner: string): Promise<boolean>;
}

/** `write` runs the insert (grouped with others on SQLite, see `group-commit.ts`). */
export function claimStore(db: Kysely<Database>, write: Write): ClaimStore {
  // one claim per message: compiled once (see prepared.ts)
  const insert = prepareQuery(["id", "owner", "claimed_at"], (p) =>
    db.insertInto("claims").values({ id: p.id, owner: p.owner, claimed_at: p.claimed_at }).onConflict((oc) => oc.column("id").doNothing()),
  );
  return {
    async claim(id, owner) {
      const result = await write(insert({ id, owner, claimed_at: Date.now() }));
      return (result.numAffectedRows ?? 0n) > 0n;
    },
  };
}
