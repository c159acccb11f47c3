/** One event as the WebSocket receiver hands it over, and the check of the post it carries. */
import type { Post, WebSocketBroadcast } from "./types.js";

/** One event from the server. `post` is `data.post` parsed, for `posted`, `post_edited` and `post_deleted`. */
export interface InboundEvent {
  source: "websocket";
  event: string;
  data: Record<string, unknown>;
  broadcast: WebSocketBroadcast;
  seq?: number;
  post?: Post;
}

/**
 * `data.post` of a post event: a JSON string on the wire, sometimes already an object. Only a
 * post with the fields the bot reads, of the types the server sends, is one; anything else
 * (a broken or hostile server, a proxy that rewrote the frame) is `undefined` with the reason.
 */
export function parseEventPost(
  value: unknown,
): { post: Post } | { post: undefined; reason: string } {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return { post: undefined, reason: "data.post is not JSON" };
    }
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    return { post: undefined, reason: "data.post is not an object" };
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
  [
    "file_ids",
    (v) =>
      v === undefined ||
      v === null ||
      (Array.isArray(v) && v.every((id) => typeof id === "string")),
    "a list of strings",
  ],
];

function malformedPostField(post: Record<string, unknown>): string | undefined {
  for (const [name, ok, expected] of POST_FIELDS)
    if (!ok(post[name])) return `post.${name} is not ${expected}`;
  return undefined;
}
