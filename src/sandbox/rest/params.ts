/** URL parameters checked like the server's `Require...Id` helpers. */
import { fail, invalidUrlParam } from "../errors.js";
import type { Call } from "../http.js";
import { isValidId } from "../ids.js";

/** The id in `params[name]` (`me` meaning the caller where allowed), or 400 naming it. */
export function idParam(call: Call, name: string, allowMe = false): string {
  const value = call.params[name];
  if (allowMe && value === "me") return call.userId;
  if (!isValidId(value)) fail(invalidUrlParam(name));
  return value;
}

/** A non-negative integer query parameter, or its default. */
export function intQuery(call: Call, name: string, fallback: number): number {
  const raw = call.query[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) fail(invalidUrlParam(name));
  return value;
}
