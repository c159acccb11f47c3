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
 * `data.post` of a post event: a JSON string on the wire, sometimes already an object. Only a
 * post with the fields the bot reads, of the types the server sends, is one; anything else
 * (a broken or hostile server, a proxy that rewrote the frame) is `undefined` with the reason.
 */
export function parseEventPost(value: unknown): { post: Post } | { post: undefined; reason: string } {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return { post: undefined, reason: "data.post is not JSON" };
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { post: undefined, reason: "data.post is not an object" };
  const reason = malformedPostField(parsed as Record<string, unknown>);
  return reason ? { post: undefined, reason } : { post: parsed as Post };
}

const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
const POST_FIELDS: [string, (v: unknown) => boolean, string][] = [
  ["id", (v) => typeof v === "string" && v !== "", "a non-empty string"],
  ["channel_id", (v) => typeof v === "string" && v !== "", "a non-empty string"],
  ["user_id", (v) => typeof v === "string" && v !== "", "a non-empty string"],
  ["message", (v) => typeof v === "string", "a string"],
  ["create_at", (v) => Number.isSafeInteger(v), "an integer"],
  ["root_id", (v) => v === undefined || typeof v === "string", "a string"],
  ["type", (v) => v === undefined || typeof v === "string", "a string"],
  ["delete_at", (v) => v === undefined || Number.isSafeInteger(v), "an integer"],
  ["props", (v) => v === undefined || v === null || isObject(v), "an object"],
  ["metadata", (v) => v === undefined || v === null || isObject(v), "an object"],
  ["file_ids", (v) => v === undefined || v === null || (Array.isArray(v) && v.every((id) => typeof id === "string")), "a list of strings"],
];

function malformedPostField(post: Record<string, unknown>): string | undefined {
  for (const [name, ok, expected] of POST_FIELDS) if (!ok(post[name])) return `post.${name} is not ${expected}`;
  return undefined;
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
