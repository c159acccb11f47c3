/**
 * Compares the SHAPE of two JSON values: same keys recursively, same JSON types. Ids and times
 * may differ. Arrays: every element against the fixture's first; maps keyed by ids (e.g.
 * `posts`): every value against the fixture's first value. Fixture notes (`_note`) are ignored.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { FIXTURES } from "../fixtures/mattermost.js";

export { FIXTURES };

export interface RestFixture {
  description: string;
  request: { method: string; path: string; auth: string; body?: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

export function loadRest(name: string): RestFixture {
  return JSON.parse(readFileSync(join(FIXTURES, "rest", `${name}.json`), "utf8")) as RestFixture;
}

const kind = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
const isIdKeyed = (o: Record<string, unknown>): boolean => {
  const keys = Object.keys(o).filter((k) => !k.startsWith("_"));
  return keys.length > 0 && keys.every((k) => /^[a-z0-9]{26}$/.test(k));
};
const isNote = (v: unknown): boolean =>
  kind(v) === "object" && Object.keys(v as object).every((k) => k.startsWith("_"));

/** The differences between `actual` and the fixture's `expected` shape; empty when they match. */
export function shapeDiff(actual: unknown, expected: unknown, path = "$"): string[] {
  const [a, e] = [kind(actual), kind(expected)];
  if (a !== e) return [`${path}: ${a} where the server sends ${e}`];
  if (e === "array") {
    const samples = (expected as unknown[]).filter((v) => !isNote(v));
    return (actual as unknown[]).flatMap((v, i) => matchAny(v, samples, `${path}[${i}]`));
  }
  if (e !== "object") return [];
  const exp = expected as Record<string, unknown>;
  const act = actual as Record<string, unknown>;
  if (isIdKeyed(exp)) {
    const samples = Object.entries(exp)
      .filter(([k]) => !k.startsWith("_"))
      .map(([, v]) => v);
    if (!isIdKeyed(act) && Object.keys(act).length > 0) return [`${path}: keys are not ids`];
    return Object.entries(act).flatMap(([k, v]) => matchAny(v, samples, `${path}.${k}`));
  }
  const out: string[] = [];
  for (const key of Object.keys(exp)) {
    if (key.startsWith("_")) continue;
    if (!(key in act)) out.push(`${path}.${key}: missing`);
    else out.push(...shapeDiff(act[key], exp[key], `${path}.${key}`));
  }
  for (const key of Object.keys(act))
    if (!(key in exp)) out.push(`${path}.${key}: not sent by the server`);
  return out;
}

/** Elements of a list or map may differ (a post with attachments, one without): any fixture element may match. */
function matchAny(actual: unknown, samples: unknown[], path: string): string[] {
  if (samples.length === 0) return [];
  let first: string[] | undefined;
  for (const sample of samples) {
    const diff = shapeDiff(actual, sample, path);
    if (diff.length === 0) return [];
    first ??= diff;
  }
  return first!;
}
