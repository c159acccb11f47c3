/** Request bodies the server reads with `model.ArrayFromJson`. */
import { fail, invalidBodyParam } from "../errors.js";
import type { Call } from "../http.js";

/** A JSON array of strings (`model.ArrayFromJson`), or 400 naming the parameter when empty or not a list. */
export function stringList(call: Call, name: string): string[] {
  const body = call.json(name);
  if (!Array.isArray(body) || body.length === 0 || !body.every((v) => typeof v === "string"))
    fail(invalidBodyParam(name));
  return body as string[];
}
