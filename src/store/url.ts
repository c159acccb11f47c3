import { isAbsolute, resolve } from "node:path";
import { ConfigError } from "../errors.js";

export type StoreTarget =
  | { dialect: "sqlite" /** An absolute path, or `:memory:`. */; path: string; redacted: string }
  | { dialect: "postgres"; connectionString: string; redacted: string };

const EXAMPLE =
  'e.g. "sqlite:./data/mmbot.db", "sqlite::memory:" or "postgres://user:password@host:5432/db"';

/**
 * Reads a store URL: `sqlite:<path>` (relative to `cwd`), `sqlite::memory:`, or
 * `postgres://…` / `postgresql://…`. Anything else is a `ConfigError` naming `store.url`.
 * @example parseStoreUrl("sqlite:./data/mmbot.db") // { dialect: "sqlite", path: "/srv/bot/data/mmbot.db", … }
 */
export function parseStoreUrl(url: string, cwd = process.cwd()): StoreTarget {
  const value = url.trim();
  if (/^postgres(ql)?:\/\//i.test(value)) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch (cause) {
      throw new ConfigError(
        `store.url: ${JSON.stringify(redact(value))} is not a valid PostgreSQL URL (${EXAMPLE})`,
        { cause },
      );
    }
    return { dialect: "postgres", connectionString: value, redacted: redactUrl(parsed) };
  }
  const sqlite = /^sqlite:(.*)$/i.exec(value);
  if (sqlite) {
    // accept the URL-ish spellings sqlite:///abs/path and sqlite://./rel too
    const rest = (sqlite[1] ?? "").replace(/^\/\/(?=\/|\.)/, "");
    if (rest === "")
      throw new ConfigError(`store.url: "${value}" names no database file (${EXAMPLE})`);
    if (rest === ":memory:")
      return { dialect: "sqlite", path: ":memory:", redacted: "sqlite::memory:" };
    const path = isAbsolute(rest) ? rest : resolve(cwd, rest);
    return { dialect: "sqlite", path, redacted: `sqlite:${path}` };
  }
  throw new ConfigError(
    `store.url: ${JSON.stringify(redact(value))} is not a store URL; use sqlite:<path> or postgres://… (${EXAMPLE})`,
  );
}

function redactUrl(url: URL): string {
  if (url.password) url.password = "***";
  return url.toString();
}

/** Best effort for a value that does not parse: hide anything between `:` and `@`. */
function redact(value: string): string {
  return value.replace(/(\/\/[^:/@]*:)[^@]*@/, "$1***@");
}
