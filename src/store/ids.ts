import { randomBytes } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
let counter = 0;

/**
 * A 26-character id of `[a-z0-9]` (Mattermost's id shape, so it can serve as `pending_post_id`).
 * It starts with the time and a per-process counter, so ids made later sort later: entries
 * enqueued together keep their order.
 */
export function newId(now = Date.now()): string {
  counter = (counter + 1) % 36 ** 4;
  const time = now.toString(36).padStart(9, "0").slice(-9);
  const seq = counter.toString(36).padStart(4, "0");
  const bytes = randomBytes(13);
  let random = "";
  for (const byte of bytes) random += ALPHABET[byte % 36];
  return time + seq + random;
}
