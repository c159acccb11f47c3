/** Token checks for requests Mattermost sends to the bot: constant time, several tokens per route. */
import { createHash, timingSafeEqual } from "node:crypto";

/** The digests of each configured token list, computed once (the lists do not change). */
const allowedDigests = new WeakMap<readonly string[], Buffer[]>();

/**
 * Whether `given` equals one of `allowed`. Both sides are hashed first so the comparison is
 * over equal-length digests (timingSafeEqual needs that) and leaks neither content nor length.
 */
export function tokenMatches(given: string | undefined, allowed: readonly string[]): boolean {
  if (!given) return false;
  let digests = allowedDigests.get(allowed);
  if (!digests) allowedDigests.set(allowed, (digests = allowed.map(sha256)));
  const digest = sha256(given);
  let matched = false;
  for (const candidate of digests) if (timingSafeEqual(digest, candidate)) matched = true; // no early exit
  return matched;
}

/** A slash command's token: `Authorization: Token x` first, else the `token` field. */
export function slashToken(authorization: string | undefined, field: unknown): string | undefined {
  const match = /^Token\s+(\S+)\s*$/i.exec(authorization ?? "");
  if (match) return match[1];
  return typeof field === "string" ? field : undefined;
}

function sha256(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
