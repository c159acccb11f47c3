/** What the claims table of a bot's store holds, read from a store opened beside the bot's. */
import { openStore } from "../../src/store/index.js";

/** Claims not finished: a post being handled, or one a killed instance left. */
export async function unfinishedClaims(storeUrl: string): Promise<number> {
  const store = await openStore(storeUrl);
  try {
    const row = await store.db
      .selectFrom("claims")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("finished_at", "=", 0)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await store.close();
  }
}
