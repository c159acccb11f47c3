/**
 * Which threads the agent follows, in the bot's store: after a mention it answers the thread's
 * posts without one until the thread is idle for the follow time or someone writes `!leave`.
 * Kept in the store (not in memory) so that a restart, or another instance on the same
 * database, goes on following.
 */
import type { Kysely, Migration } from "kysely";
import type { Store } from "../../store/index.js";
import { approvalMigration } from "./approvals.js";

type FollowTables = {
  agent_follows: { root_id: string; last_at: number | string };
};

/** The agent's migrations, applied from its own table (`agent_migration`). Never edit a released one. */
export const agentMigrations: Record<string, Migration> = {
  "0001_agent_follows": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("agent_follows")
        .ifNotExists()
        .addColumn("root_id", "text", (c) => c.primaryKey())
        .addColumn("last_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("agent_follows_last_at")
        .ifNotExists()
        .on("agent_follows")
        .column("last_at")
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable("agent_follows").execute();
    },
  },
  "0002_agent_approvals": approvalMigration,
};

/** Follows idle this long are deleted (a `threads` channel follows its threads until then). */
export const FOLLOW_KEPT_MS = 30 * 24 * 3600_000;

/** Idle follows are deleted every this many touches. */
const PRUNE_EVERY = 200;

const followTables = (store: Store) => store.db.withTables<FollowTables>();

export class Follows {
  private readonly db: ReturnType<typeof followTables>;
  private touches = 0;

  constructor(
    store: Store,
    private readonly followMs: number,
  ) {
    this.db = followTables(store);
  }

  /** `forever`: followed however long the thread has been idle (a channel in `threads` mode; kept 30 days). */
  async isFollowing(root: string, now = Date.now(), forever = false): Promise<boolean> {
    const row = await this.db
      .selectFrom("agent_follows")
      .select("last_at")
      .where("root_id", "=", root)
      .executeTakeFirst();
    return row !== undefined && (forever || now - Number(row.last_at) < this.followMs);
  }

  /** A message in the thread: following goes on for the follow time from now. */
  async touch(root: string, now = Date.now()): Promise<void> {
    await this.db
      .insertInto("agent_follows")
      .values({ root_id: root, last_at: now })
      .onConflict((oc) => oc.column("root_id").doUpdateSet({ last_at: now }))
      .execute();
    if (++this.touches % PRUNE_EVERY === 0)
      await this.db
        .deleteFrom("agent_follows")
        .where("last_at", "<", now - Math.max(this.followMs, FOLLOW_KEPT_MS))
        .execute();
  }

  async leave(root: string): Promise<void> {
    await this.db.deleteFrom("agent_follows").where("root_id", "=", root).execute();
  }
}
