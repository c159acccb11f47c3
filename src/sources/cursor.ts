/**
 * The position both Mattermost sources resume from, kept in the bot's store: the newest
 * `create_at` (ms) handed to the bot. One key for the WebSocket's catch-up and for polling, so a
 * switch between them (or a restart with another transport) starts where the other stopped.
 */
import type { CatchUpCursor } from "../mattermost/inbound.js";
import type { Store } from "../store/index.js";

const CURSOR_KEY = "catchup.cursor";

export function storeCursor(store: Store): CatchUpCursor {
  return {
    load: async () => {
      const value = await store.kv.get(CURSOR_KEY);
      if (value === undefined) return undefined;
      const ms = Number(value);
      // one saved ahead of this clock (a post dated ahead, by a version that followed it; a clock
      // set back since) would start every catch-up past the posts it must read: start from now
      return Number.isFinite(ms) ? Math.min(ms, Date.now()) : undefined;
    },
    save: (ms) => store.kv.set(CURSOR_KEY, String(ms)),
  };
}
