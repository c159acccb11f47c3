/**
 * JSON read from clients and integrations. The server's Go decoder refuses input nested past
 * 10,000 levels; the sandbox refuses past 1,000, because its own walks of a value (JSON.stringify
 * for the wire, the store) recurse and would overflow the stack first. Nothing real nests so deep.
 */
import { jsonNestingDepth } from "../json-depth.js";

export const MAX_JSON_DEPTH = 1_000;

/** `JSON.parse`, throwing a SyntaxError for input nested deeper than `MAX_JSON_DEPTH`. */
export function parseJson(text: string): unknown {
  if (jsonNestingDepth(text) > MAX_JSON_DEPTH)
    throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.parse(text);
}
