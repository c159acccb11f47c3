/** Request bodies and queries as the receiver reads them: form fields or JSON, never trusted. */
import { parse as parseQueryString } from "node:querystring";
import secureJson from "secure-json-parse";
import { jsonNestingDepth } from "../json-depth.js";

export const FORM = "application/x-www-form-urlencoded";
export const JSON_TYPE = "application/json";

/** The media type of a Content-Type header, lower case without parameters; `""` when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase();
}

/**
 * Form fields or a query string as fields (an object without prototype: `__proto__` is a field
 * like any other); a repeated field keeps its last value. querystring is a third faster than URLSearchParams.
 */
export function parseForm(text: string): Record<string, string> {
  const fields = parseQueryString(text, "&", "=", { maxKeys: 0 });
  for (const key in fields) {
    const value = fields[key]!;
    if (typeof value !== "string") fields[key] = value[value.length - 1]!;
  }
  return fields as Record<string, string>;
}

/**
 * Deeper than anything Mattermost sends (flat fields; an action context is the bot's own data):
 * a body nested past it is refused before parsing, so that no handler, logger or signature
 * check walks a value deep enough to overflow the stack.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * A JSON body, or why it is not one. Keys that could reach an object's prototype (`__proto__`,
 * `constructor.prototype`) are refused, as Fastify did before this receiver stood on its own.
 */
export function parseJsonBody(
  text: string,
): { ok: true; value: unknown } | { ok: false; reason: string } {
  if (text.trim() === "") return { ok: false, reason: "the JSON body is empty" };
  if (jsonNestingDepth(text) > MAX_JSON_DEPTH)
    return { ok: false, reason: `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return {
      ok: true,
      value: secureJson.parse(text, undefined, {
        protoAction: "error",
        constructorAction: "error",
      }),
    };
  } catch (error) {
    return { ok: false, reason: `malformed JSON body: ${(error as Error).message}` };
  }
}
