import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Small string settings that must survive a restart (e.g. the catch-up cursor). */
export interface KvStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** Stores `value` unless the key has one; returns what is stored (instances starting together agree). */
  setIfAbsent(key: string, value: string): Promise<string>;
}

export function kvStore(db: Kysely<Database>): KvStore {
  return {
    async get(key) {
      const row = await db
        .selectFrom("kv")
        .select("value")
        .where("key", "=", key)
        .executeTakeFirst();
      return row?.value;
    },
    async set(key, value) {
      const updated_at = Date.now();
      await db
        .insertInto("kv")
        .values({ key, value, updated_at })
        .onConflict((oc) => oc.column("key").doUpdateSet({ value, updated_at }))
        .execute();
    },
    async setIfAbsent(key, value) {
      await db
        .insertInto("kv")
        .values({ key, value, updated_at: Date.now() })
        .onConflict((oc) => oc.column("key").doNothing())
        .execute();
      const row = await db
        .selectFrom("kv")
        .select("value")
        .where("key", "=", key)
        .executeTakeFirstOrThrow();
      return row.value;
    },
  };
}
