/**
 * Where a growing answer is cut into posts. The cut of a part depends only on the first
 * `limit` characters of what remains, so a part, once full, never changes as text keeps coming:
 * a streamed post is finished for good when the next one starts.
 */
import { MAX_MESSAGE_LENGTH } from "./split.js";

/** A streamed answer goes on in a new post at about 90 % of the server's limit (`MaxPostSize`). */
export function streamPartLimit(maxPostSize: number): number {
  return Math.floor(maxPostSize * 0.9);
}

/** The part limit on a server with the 5.x limit. */
export const STREAM_PART_LIMIT = streamPartLimit(MAX_MESSAGE_LENGTH);

const FENCE = /^\s*(`{3,}|~{3,})(.*)$/;
/** Room kept for the closing fence line added at a cut inside a fence. */
const CLOSE_RESERVE = 16;

/**
 * The posts of `text`: cut at a paragraph or code-fence boundary where there is one in the
 * second half of a part, else at a line, else hard. A fence open at a cut is closed at the end
 * of one part and reopened (with its language) at the start of the next.
 */
export function layoutStream(text: string, limit = STREAM_PART_LIMIT): string[] {
  const parts: string[] = [];
  let body = text;
  while (body.length > limit) {
    const { at, openFence } = findCut(body, limit - CLOSE_RESERVE);
    const head = body.slice(0, at).replace(/\n+$/, "");
    parts.push(openFence ? `${head}\n${fenceMarker(openFence)}` : head);
    const rest = body.slice(at).replace(/^\n+/, "");
    body = openFence ? `${openFence}\n${rest}` : rest;
  }
  parts.push(body);
  return parts;
}

/** The best cut in `body[0, window]` and the fence still open there. */
function findCut(body: string, window: number): { at: number; openFence: string | undefined } {
  let paragraph: number | undefined;
  let line: { at: number; openFence: string | undefined } | undefined;
  let openFence: string | undefined;
  let previousBlank = false;
  let justClosed = false;
  for (let start = 0; start <= window; ) {
    if (start > 0) {
      line = { at: start, openFence };
      if (!openFence && (previousBlank || justClosed) && start >= window / 2) paragraph = start;
    }
    const end = body.indexOf("\n", start);
    const lineText = body.slice(start, end === -1 ? undefined : end);
    justClosed = false;
    const fence = FENCE.exec(lineText);
    if (fence) {
      if (!openFence) openFence = lineText.trim();
      else if (lineText.trim().startsWith(fenceMarker(openFence)) && fence[2]?.trim() === "") {
        openFence = undefined;
        justClosed = true;
      }
    }
    previousBlank = lineText.trim() === "";
    if (end === -1) break;
    start = end + 1;
  }
  if (paragraph !== undefined) return { at: paragraph, openFence: undefined };
  if (line) return line;
  // no line boundary at all: a hard cut, never inside a surrogate pair
  const code = body.charCodeAt(window - 1);
  return { at: code >= 0xd800 && code <= 0xdbff ? window - 1 : window, openFence: undefined };
}

function fenceMarker(openingLine: string): string {
  return FENCE.exec(openingLine)?.[1] ?? "```";
}
