/**
 * JSON read from clients and integrations. The server's Go decoder refuses input nested past
 * 10,000 levels; the sandbox refuses past 1,000, because its own walks of a value (JSON.stringify
 * for the wire, the store) recurse and would overflow the stack first. Nothing real nests so deep.
 */
export const MAX_JSON_DEPTH = 1_000;

/** `JSON.parse`, throwing a SyntaxError for input nested deeper than `MAX_JSON_DEPTH`. */
export function parseJson(text: string): unknown {
  if (nestingDepth(text) > MAX_JSON_DEPTH) throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.parse(text);
}

/** The deepest nesting of `[` and `{` outside strings, in one pass without recursion. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}
