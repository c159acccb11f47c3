import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const RANDOM_CHARS = 13;
let counter = 0;
// random bytes for many ids at once: one randomFillSync per id was a visible cost per message
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * A 26-character id of `[a-z0-9]` (Mattermost's id shape, so it can serve as `pending_post_id`).
 * It starts with the time and a per-process counter, so ids made later sort later: entries
 * enqueued together keep their order.
 */
export function newId(now = Date.now()): string {
  counter = (counter + 1) % 36 ** 4;
  const time = now.toString(36).padStart(9, "0").slice(-9);
  const seq = counter.toString(36).padStart(4, "0");
  if (offset + RANDOM_CHARS > pool.length) {
    pool = randomBytes(RANDOM_CHARS * 256);
    offset = 0;
  }
  let random = "";
  for (let i = 0; i < RANDOM_CHARS; i++) random += ALPHABET[pool[offset++]! % 36];
  return time + seq + random;
}

/**
 * The id of the `seq`-th entry made while handling `scope` (e.g. `post:<id>`): the same on every
 * run, so a handling run again after a crash makes the same ids. Entries of one scope sort by
 * `seq`.
 */
export function scopedId(scope: string, seq: number): string {
  return scopePrefix(scope) + seq.toString(36).padStart(6, "0").slice(-6);
}

/** What every `scopedId` of `scope` starts with (the ids of a scope are one range). */
export function scopePrefix(scope: string): string {
  const digest = createHash("sha256").update(scope).digest();
  let prefix = "";
  for (let i = 0; i < 20; i++) prefix += ALPHABET[digest[i]! % 36];
  return prefix;
}

/** The `seq` of an id made by `scopedId`. */
export function scopedSeq(id: string): number {
  return Number.parseInt(id.slice(20), 36);
}
