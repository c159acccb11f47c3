/** What the WebSocket receiver hands to the bot, and where it keeps its catch-up position. */
import type { Post, WebSocketBroadcast } from "./types.js";

/**
 * One event from the server. `post` is `data.post` parsed, for `posted`, `post_edited` and
 * `post_deleted`. Catch-up events are synthetic `posted` events built from REST answers,
 * with `data` filled like the server's (`channel_type`, `channel_name`, `sender_name`...).
 */
export interface InboundEvent {
  source: "websocket" | "catchup";
  event: string;
  data: Record<string, unknown>;
  broadcast: WebSocketBroadcast;
  seq?: number;
  post?: Post;
}

/** Where catch-up resumes: the newest `create_at` (ms) of the posts seen. Persist it to survive restarts. */
export interface CatchUpCursor {
  load(): Promise<number | undefined>;
  save(createAtMs: number): Promise<void>;
}

/** A cursor that lives as long as the process (the default). */
export function memoryCursor(initial?: number): CatchUpCursor {
  let value = initial;
  return {
    load: async () => value,
    save: async (ms) => {
      value = ms;
    },
  };
}

/**
 * A bounded set of recently seen ids, oldest evicted first. The insertion order is kept in a
 * ring: evicting through `Set.values().next()` walks past every deleted entry still in the
 * Set's table, which made each add cost microseconds once the set was full.
 */
export class RecentIdSet {
  private readonly ids = new Set<string>();
  private readonly ring: Array<string | undefined>;
  private next = 0;

  constructor(capacity = 10_000) {
    this.ring = new Array<string | undefined>(capacity);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds the id; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = (this.next + 1) % this.ring.length;
    this.ids.add(id);
    return true;
  }
}

/** `data.post` of a post event: a JSON string on the wire, sometimes already an object. */
export function parseEventPost(value: unknown): Post | undefined {
  if (typeof value === "object" && value !== null) return value as Post;
  if (typeof value !== "string" || value === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === "object" && parsed !== null ? (parsed as Post) : undefined;
  } catch {
    return undefined;
  }
}
