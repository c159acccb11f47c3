/**
 * HMAC signatures that let the bot trust what comes back from Mattermost without a token:
 * button/menu contexts (Mattermost echoes `integration.context` on a click) and dialog URLs.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Keys the bot adds to a signed action context; handlers never see them. */
export const SIGNATURE_KEY = "_mmbot_sig";
export const EXPIRY_KEY = "_mmbot_exp";
/** Mattermost adds the picked option of a select to the context; it is not part of what was signed. */
export const SELECTED_OPTION_KEY = "selected_option";

export type SignatureFailure = "missing" | "malformed" | "expired" | "wrong";

/** HMAC-SHA256 (hex) over the parts, unambiguously joined. */
export function hmac(secret: string, parts: readonly string[]): string {
  return createHmac("sha256", secret)
    .update(JSON.stringify(["mmbot-v1", ...parts]))
    .digest("hex");
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * JSON with object keys sorted at every level: Mattermost stores a context as a Go map and
 * sends it back re-serialised (keys sorted, numbers re-formatted), so the bot signs and checks
 * a canonical form of the parsed value, never the bytes.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The context to store in an action: the caller's data plus expiry and signature. */
export function signActionContext(
  secret: string,
  input: {
    actionId: string;
    channelId: string;
    expiresAtMs: number;
    data: Record<string, unknown>;
  },
): Record<string, unknown> {
  const exp = String(input.expiresAtMs);
  const sig = hmac(secret, [
    "action",
    input.actionId,
    input.channelId,
    exp,
    canonicalJson(input.data),
  ]);
  return { ...input.data, [EXPIRY_KEY]: exp, [SIGNATURE_KEY]: sig };
}

/** Checks a clicked action's context; on success returns the caller's data without the bot's keys. */
export function verifyActionContext(
  secret: string,
  input: { actionId: string; channelId: string; context: Record<string, unknown>; nowMs: number },
): { ok: true; data: Record<string, unknown> } | { ok: false; failure: SignatureFailure } {
  const {
    [SIGNATURE_KEY]: sig,
    [EXPIRY_KEY]: exp,
    [SELECTED_OPTION_KEY]: _selected,
    ...data
  } = input.context;
  if (sig === undefined && exp === undefined) return { ok: false, failure: "missing" };
  if (typeof sig !== "string" || typeof exp !== "string" || !/^\d+$/.test(exp))
    return { ok: false, failure: "malformed" };
  const expected = hmac(secret, [
    "action",
    input.actionId,
    input.channelId,
    exp,
    canonicalJson(data),
  ]);
  if (!sameDigest(sig, expected)) return { ok: false, failure: "wrong" };
  if (Number(exp) < input.nowMs) return { ok: false, failure: "expired" };
  return { ok: true, data };
}

/** What a dialog URL's signature binds: the dialog, where and for whom it was opened, and whether cancels are wanted. */
export interface DialogBinding {
  callbackId: string;
  channelId: string;
  userId: string;
  notifyOnCancel: boolean;
}

/** Query parameters to put on the dialog URL. */
export function signDialog(
  secret: string,
  binding: DialogBinding,
  expiresAtMs: number,
): URLSearchParams {
  const exp = String(expiresAtMs);
  const cancel = binding.notifyOnCancel ? "1" : "0";
  const sig = hmac(secret, [
    "dialog",
    binding.callbackId,
    binding.channelId,
    binding.userId,
    cancel,
    exp,
  ]);
  return new URLSearchParams({ exp, cancel, sig });
}

/** Checks a submission against the signature in its URL's query. */
export function verifyDialog(
  secret: string,
  input: {
    callbackId: string;
    channelId: string;
    userId: string;
    query: Record<string, unknown>;
    nowMs: number;
  },
): { ok: true; notifyOnCancel: boolean } | { ok: false; failure: SignatureFailure } {
  const { sig, exp, cancel } = input.query;
  if (sig === undefined) return { ok: false, failure: "missing" };
  if (
    typeof sig !== "string" ||
    typeof exp !== "string" ||
    !/^\d+$/.test(exp) ||
    (cancel !== "0" && cancel !== "1")
  ) {
    return { ok: false, failure: "malformed" };
  }
  const expected = hmac(secret, [
    "dialog",
    input.callbackId,
    input.channelId,
    input.userId,
    cancel,
    exp,
  ]);
  if (!sameDigest(sig, expected)) return { ok: false, failure: "wrong" };
  if (Number(exp) < input.nowMs) return { ok: false, failure: "expired" };
  return { ok: true, notifyOnCancel: cancel === "1" };
}
