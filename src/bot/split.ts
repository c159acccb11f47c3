import { DEFAULT_MAX_POST_SIZE } from "../mattermost/server-info.js";

/**
 * Mattermost rejects a message over 16,383 characters (runes) with a 400, unless its
 * `MaxPostSize` says more: the default limit, the same number as the server profile's.
 */
export const MAX_MESSAGE_LENGTH = DEFAULT_MAX_POST_SIZE;

const FENCE = /^\s*(`{3,}|~{3,})(.*)$/;

/**
 * Splits a long message into posts of at most `limit` characters, on line boundaries where it
 * can, keeping code fences balanced: a fence open at a cut is closed at the end of one part and
 * reopened (with its language) at the start of the next.
 */
export function splitMessage(text: string, limit = MAX_MESSAGE_LENGTH): string[] {
  if ([...text].length <= limit) return [text];
  const parts: string[] = [];
  let current: string[] = [];
  let currentLength = 0;
  let openFence: string | undefined; // the opening line of a fence still open

  const closing = () => (openFence ? fenceMarker(openFence) : "");
  const flush = () => {
    if (current.length === 0) return;
    const body = current.join("\n");
    parts.push(openFence ? `${body}\n${closing()}` : body);
    current = openFence ? [openFence] : [];
    currentLength = openFence ? runeLength(openFence) : 0;
  };

  for (const line of hardWrap(text.split("\n"), limit - 16)) {
    const reserve = openFence ? runeLength(closing()) + 1 : 0;
    const added = runeLength(line) + (current.length ? 1 : 0);
    if (currentLength + added + reserve > limit && current.length > (openFence ? 1 : 0)) flush();
    current.push(line);
    currentLength += runeLength(line) + (current.length > 1 ? 1 : 0);
    const fence = FENCE.exec(line);
    if (fence) {
      if (!openFence) openFence = line.trim();
      else if (line.trim().startsWith(fenceMarker(openFence)) && fence[2]?.trim() === "")
        openFence = undefined;
    }
  }
  if (current.length) parts.push(current.join("\n"));
  return parts;
}

function fenceMarker(openingLine: string): string {
  return FENCE.exec(openingLine)?.[1] ?? "```";
}

function runeLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Lines longer than the limit are cut into pieces (there is no better boundary). */
function* hardWrap(lines: string[], width: number): Generator<string> {
  for (const line of lines) {
    const runes = [...line];
    if (runes.length <= width) {
      yield line;
      continue;
    }
    for (let i = 0; i < runes.length; i += width) yield runes.slice(i, i + width).join("");
  }
}
