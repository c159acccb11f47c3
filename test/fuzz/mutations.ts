/**
 * Hostile variants of a valid request body (a recorded Mattermost request as the seed): missing,
 * extra and mistyped fields, truncation, flipped bytes, invalid UTF-8, wrong content types,
 * deep and huge JSON, prototype keys. Each variant is labelled, for the run's figures.
 */
import type { Rng } from "./random.js";

export type Encoding = "json" | "form";
export type Fields = Record<string, unknown>;

export interface HostileBody {
  /** What was done to the seed (for the figures). */
  mutation: string;
  body: Buffer;
  /** Undefined: no Content-Type header at all. */
  contentType: string | undefined;
}

const CONTENT_TYPES = {
  json: "application/json",
  form: "application/x-www-form-urlencoded",
} as const;

const WRONG_CONTENT_TYPES = [
  undefined,
  "",
  "text/plain",
  "text/html; charset=utf-8",
  "multipart/form-data; boundary=xyz",
  "application/octet-stream",
  "APPLICATION/JSON",
  "application/json; charset=utf-16",
  "application/json;;;",
  "application/x-www-form-urlencoded; charset=latin1",
  "application/x-www-form-urlencoded",
  "application/json",
  ";",
  "*/*",
  "application/vnd.api+json",
  "a".repeat(2000),
];

const INVALID_UTF8 = [
  Buffer.from([0xff]),
  Buffer.from([0xfe, 0xff]),
  Buffer.from([0xc3]), // a lead byte without its continuation
  Buffer.from([0xc0, 0xaf]), // overlong "/"
  Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
  Buffer.from([0xf4, 0x90, 0x80, 0x80]), // past U+10FFFF
  Buffer.from([0x80, 0x80, 0x80]),
  Buffer.from([0x00]),
];

/** Form fields as Mattermost encodes them; non-strings are written as their JSON. */
export function encodeForm(fields: Fields): string {
  return Object.entries(fields)
    .map(
      ([k, v]) =>
        `${percentEncode(k)}=${percentEncode(typeof v === "string" ? v : (JSON.stringify(v) ?? ""))}`,
    )
    .join("&");
}

/** encodeURIComponent, except that a lone surrogate is sent as U+FFFD instead of throwing. */
function percentEncode(text: string): string {
  let out = "";
  for (const b of Buffer.from(text, "utf8"))
    out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

export function encode(fields: unknown, encoding: Encoding): Buffer {
  return Buffer.from(
    encoding === "form" && isFields(fields) ? encodeForm(fields) : (JSON.stringify(fields) ?? ""),
    "utf8",
  );
}

/** JSON nested `depth` levels deep (arrays or objects), as text: built without recursion. */
export function deepJson(depth: number, kind: "array" | "object"): string {
  return kind === "array"
    ? "[".repeat(depth) + "]".repeat(depth)
    : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** A hostile variant of `seed`; `limitBytes` is the target's body limit (huge bodies go around it). */
export function hostileBody(
  rng: Rng,
  seed: Fields,
  encoding: Encoding,
  limitBytes: number,
): HostileBody {
  const proper = CONTENT_TYPES[encoding];
  const same = (mutation: string, body: Buffer | string): HostileBody => ({
    mutation,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8"),
    contentType: proper,
  });
  const fields = { ...seed };
  const keys = Object.keys(fields);
  return rng.weighted<() => HostileBody>([
    [2, () => same("valid", encode(fields, encoding))],
    [
      6,
      () => {
        for (let i = rng.int(1, Math.max(1, keys.length)); i > 0; i--)
          delete fields[rng.pick(keys)];
        return same("missing fields", encode(fields, encoding));
      },
    ],
    [
      4,
      () => {
        for (let i = rng.int(1, 20); i > 0; i--)
          fields[rng.nastyString().slice(0, 40) || "x"] = rng.anyValue();
        return same("extra fields", encode(fields, encoding));
      },
    ],
    [
      8,
      () => {
        for (let i = rng.int(1, 3); i > 0; i--) fields[rng.pick(keys)] = rng.anyValue();
        return same("wrong types", encode(fields, encoding));
      },
    ],
    [
      5,
      () => {
        for (let i = rng.int(1, 3); i > 0; i--) fields[rng.pick(keys)] = rng.nastyString();
        return same("nasty strings", encode(fields, encoding));
      },
    ],
    [
      6,
      () => {
        const whole = encode(fields, encoding);
        return same("truncated", whole.subarray(0, rng.int(0, Math.max(0, whole.length - 1))));
      },
    ],
    [
      4,
      () => {
        const body = Buffer.from(encode(fields, encoding));
        for (let i = rng.int(1, 8); i > 0 && body.length > 0; i--)
          body[rng.int(0, body.length - 1)] = rng.int(0, 255);
        return same("flipped bytes", body);
      },
    ],
    [
      5,
      () => {
        const body = encode(fields, encoding);
        const at = rng.int(0, body.length);
        return same(
          "invalid UTF-8",
          Buffer.concat([body.subarray(0, at), rng.pick(INVALID_UTF8), body.subarray(at)]),
        );
      },
    ],
    [
      6,
      () => {
        const other: Encoding = rng.chance(0.5) ? encoding : encoding === "json" ? "form" : "json";
        return {
          mutation: "wrong content type",
          body: encode(fields, other),
          contentType: rng.pick(WRONG_CONTENT_TYPES),
        };
      },
    ],
    [
      5,
      () => {
        // deep nesting, near and past what a recursive walk survives; kept under the body limit
        const depth = rng.pick([100, 1_000, 5_000, 10_000, Math.floor(limitBytes / 6)]);
        const deep = deepJson(depth, rng.pick(["array", "object"] as const));
        if (encoding === "form" || rng.chance(0.3)) return same("deep JSON", deep);
        const key = rng.pick(["context", "submission", "props", ...keys]);
        const text = JSON.stringify({ ...fields, [key]: "\u0000DEEP\u0000" }).replace(
          '"\\u0000DEEP\\u0000"',
          deep,
        );
        return same("deep JSON", text);
      },
    ],
    [
      3,
      () => {
        const size = rng.pick([
          limitBytes - 64,
          limitBytes,
          limitBytes + 1,
          limitBytes * 2,
          1024 * 1024,
        ]);
        const filler = "x".repeat(Math.max(0, size - 100));
        return same("huge body", encode({ ...fields, text: filler, message: filler }, encoding));
      },
    ],
    [
      3,
      () => {
        const key = rng.pick(["__proto__", "constructor", "prototype"]);
        const text = JSON.stringify(fields).replace(
          /^\{/,
          `{"${key}":{"prototype":{"polluted":true},"polluted":true},`,
        );
        return same(
          "prototype keys",
          encoding === "form" ? `${key}[polluted]=1&__proto__=x&${encodeForm(fields)}` : text,
        );
      },
    ],
    [
      3,
      () =>
        same(
          "not an object",
          rng.pick([
            "[]",
            "[1,2]",
            "0",
            "-1e999",
            '"text"',
            "null",
            "true",
            "NaN",
            "{",
            "}",
            "\ufeff{}",
            "{}",
            "[{}]",
          ]),
        ),
    ],
    [2, () => same("empty body", "")],
    [
      2,
      () => {
        if (encoding === "form")
          return same(
            "repeated fields",
            `${encodeForm(fields)}&${encodeForm(fields)}&&&=&a[]=1&a[]=2&%zz=%`,
          );
        const key = rng.pick(keys);
        return same(
          "repeated fields",
          JSON.stringify(fields).replace(
            /^\{/,
            `{${JSON.stringify(key)}:${JSON.stringify(rng.anyValue())},`,
          ),
        );
      },
    ],
    [2, () => same("random bytes", rng.bytes(rng.int(1, 2_000)))],
  ])();
}

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
