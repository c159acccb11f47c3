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

/**
 * The posts handed to the bot and not yet taken (claimed, or dropped): the position kept in the
 * store stays below the oldest of them. The cursor in memory may run ahead (what is queued will
 * be handled), but a process killed with a queue must not have saved a cursor past it: the next
 * start would not read those posts again, and they would never be answered.
 */
export class UnsettledPosts {
  private readonly pending = new Map<string, number>();

  /** Tracks the post until `handling` settles; `onSettled` runs then. */
  track(postId: string, createAt: number, handling: unknown, onSettled: () => void): void {
    if (!(handling instanceof Promise)) return;
    this.pending.set(postId, createAt);
    void handling
      .catch(() => undefined)
      .finally(() => {
        this.pending.delete(postId);
        onSettled();
      });
  }

  /** The position safe to keep: `cursor`, or just below the oldest post still being taken. */
  safe(cursor: number): number {
    let safe = cursor;
    for (const createAt of this.pending.values()) safe = Math.min(safe, createAt - 1);
    return safe;
  }
}
