import { existsSync, readFileSync } from "node:fs";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { BRIDGE_EXAMPLES, bridgesSchema } from "./apps/bridge/config.js";
import { ConfigError } from "./errors.js";
import { LOG_FORMATS } from "./log.js";
import { INTEGRATION_EXAMPLES, outgoingWebhooksSchema, slashCommandsSchema } from "./setup/config.js";

const boolFromEnv = z.union([z.boolean(), z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1")]);
const listFromEnv = z.union([z.array(z.string()), z.string().transform((v) => (v.trim() === "" ? [] : v.split(",").map((s) => s.trim())))]);

/** The configuration file's schema; every key can also come from the environment (see ENV). */
const schema = z.strictObject({
  mattermost: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }).optional(),
      bot_token: z.string().regex(/^[a-z0-9]{26}$/, "expected a 26-character token of lowercase letters and digits").optional(),
    })
    .default({}),
  store: z
    .strictObject({
      url: z
        .string()
        .regex(/^(sqlite:|postgres(ql)?:\/\/)/, "expected sqlite:<path> or postgres://…")
        .default("sqlite:./data/mmbot.db"),
    })
    .default({ url: "sqlite:./data/mmbot.db" }),
  policy: z
    .strictObject({
      allowed_users: z.union([z.literal("*"), listFromEnv]).optional(),
      channels: listFromEnv.default([]),
      mention_only: boolFromEnv.default(false),
      thread_replies: boolFromEnv.default(true),
      ignore_bots: boolFromEnv.default(true),
    })
    .default({ channels: [], mention_only: false, thread_replies: true, ignore_bots: true }),
  /** `[[bridge]]`: chat commands that run a program (src/apps/bridge); not settable by environment. */
  bridge: bridgesSchema.default([]),
  sandbox: z
    .strictObject({
      host: z.string().default("127.0.0.1"),
      port: z.coerce.number().int().min(0).max(65535).default(8065),
    })
    .default({ host: "127.0.0.1", port: 8065 }),
  // present (in the file or as MMBOT_HTTP_* variables) = receive Mattermost's HTTP integrations
  http: z
    .strictObject({
      listen: z.string().regex(/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, "expected host:port").default("127.0.0.1:3000"),
      public_url: z.url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" }).optional(),
      outgoing_webhook_tokens: listFromEnv.default([]),
      slash_tokens: listFromEnv.default([]),
      action_secret: z.string().min(16, "expected at least 16 characters (a long random string)").optional(),
      answer_within_ms: z.coerce.number().int().min(100).max(25_000).default(2500),
      trigger_words: listFromEnv.default([]),
      /** `[[http.slash_commands]]`, `[[http.outgoing_webhooks]]`: what `mmbot setup` registers (src/setup). */
      slash_commands: slashCommandsSchema.default([]),
      outgoing_webhooks: outgoingWebhooksSchema.default([]),
    })
    .optional(),
  log: z
    .strictObject({
      level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
      // auto: readable lines when stderr is a terminal, JSON lines otherwise
      format: z.enum(LOG_FORMATS).default("auto"),
    })
    .default({ level: "info", format: "auto" }),
});

export type Config = z.output<typeof schema>;

/** Environment variables, by config key. Every key also has `MMBOT_<SECTION>_<KEY>`. */
export const ENV: Record<string, string[]> = {
  "mattermost.url": ["MATTERMOST_URL"],
  "mattermost.bot_token": ["MATTERMOST_BOT_TOKEN"],
  "store.url": ["DATABASE_URL"],
  "log.level": ["MMBOT_LOG_LEVEL"],
};

const EXAMPLES: Record<string, string> = {
  "mattermost.url": 'url = "https://chat.example.com"',
  "mattermost.bot_token": 'bot_token = "<the 26-character token from System Console › Bot Accounts>"',
  "store.url": 'url = "sqlite:./data/mmbot.db"   # or "postgres://user@host/db"',
  "policy.allowed_users": 'allowed_users = ["alice", "bob"]   # or "*" for everybody',
  "policy.channels": 'channels = ["town-square"]',
  "policy.mention_only": "mention_only = true",
  "policy.thread_replies": "thread_replies = true",
  "policy.ignore_bots": "ignore_bots = true",
  "sandbox.port": "port = 8065",
  "http.listen": 'listen = "127.0.0.1:3000"',
  "http.public_url": 'public_url = "https://bot.example.com"   # where Mattermost reaches the bot',
  "http.action_secret": 'action_secret = "<a long random string, e.g. from openssl rand -hex 32>"',
  "http.answer_within_ms": "answer_within_ms = 2500",
  "log.level": 'level = "info"',
  "log.format": 'format = "auto"   # or "json" (JSON lines), "pretty" (readable lines)',
  ...Object.fromEntries(Object.entries(INTEGRATION_EXAMPLES).map(([key, example]) => [`http.${key}`, example])),
  ...Object.fromEntries(Object.entries(BRIDGE_EXAMPLES).map(([key, example]) => [`bridge.${key}`, example])),
};

/**
 * Loads the configuration: the TOML file (if it exists; `explicitPath` must exist), then the
 * environment on top. Throws a `ConfigError` naming the key, the value, what was expected and
 * an example.
 */
export function loadConfig(options: { path?: string; explicitPath?: boolean; env?: NodeJS.ProcessEnv } = {}): Config {
  const path = options.path ?? "mmbot.toml";
  const env = options.env ?? process.env;
  let raw: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      raw = parseToml(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError(`${path}: not valid TOML: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  } else if (options.explicitPath) {
    throw new ConfigError(`${path}: no such file (given with --config). Create it or leave --config out to use the environment.`);
  }
  applyEnv(raw, env);
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(describeIssues(result.error, raw, existsSync(path) ? path : "configuration"));
  const config = result.data;
  if (config.mattermost.url) config.mattermost.url = config.mattermost.url.replace(/\/+$/, "");
  if ((config.mattermost.url === undefined) !== (config.mattermost.bot_token === undefined)) {
    const missing = config.mattermost.url === undefined ? "mattermost.url (env MATTERMOST_URL)" : "mattermost.bot_token (env MATTERMOST_BOT_TOKEN)";
    throw new ConfigError(
      `${missing} is missing: to use a Mattermost server set both mattermost.url and mattermost.bot_token; to use the built-in sandbox set neither.\n  example: ${EXAMPLES[missing.startsWith("mattermost.url") ? "mattermost.url" : "mattermost.bot_token"]}`,
    );
  }
  // a declared webhook's trigger words are the bot's too: it strips them whichever way the post arrives
  if (config.http) {
    const words = config.http.outgoing_webhooks.flatMap((hook) => hook.trigger_words);
    config.http.trigger_words = [...new Set([...config.http.trigger_words, ...words])];
  }
  checkBridgeTriggers(config, existsSync(path) ? path : "configuration");
  return config;
}

/**
 * Slash commands and trigger words reach the bot over HTTP: a bridge using one needs `[http]`.
 * (Its tokens are not required here: a receiver without them refuses those requests by name.)
 */
function checkBridgeTriggers(config: Config, source: string): void {
  if (config.http) return;
  for (const [i, bridge] of config.bridge.entries()) {
    for (const [key, what, tokens] of [["slash", "slash commands", "slash_tokens"], ["trigger_word", "outgoing webhooks", "outgoing_webhook_tokens"]] as const) {
      const value = bridge[key];
      if (value === undefined) continue;
      throw new ConfigError(
        `${source}: bridge[${i}].${key} = ${JSON.stringify(value)}: ${what} reach the bot over HTTP, but there is no [http] section; add one with the token Mattermost shows for the integration (env MMBOT_HTTP_${tokens.toUpperCase()})\n  example: [http] listen = "0.0.0.0:3000", ${tokens} = ["<token>"]`,
      );
    }
  }
}

/**
 * Checks one value of a `section.key` as the configuration would: the problem, or undefined when
 * it is valid (for `mmbot init`, which asks for values one by one).
 */
export function checkValue(dotted: string, value: unknown): string | undefined {
  const [section = "", key = ""] = dotted.split(".");
  const sectionSchema = (schema.shape as Record<string, z.ZodType>)[section];
  const inner = (sectionSchema as unknown as { def?: { innerType?: z.ZodType } } | undefined)?.def?.innerType;
  const keySchema = inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>)[key] : undefined;
  if (!keySchema) throw new Error(`checkValue: no configuration key ${dotted}`);
  const result = keySchema.safeParse(value);
  return result.success ? undefined : result.error.issues[0]?.message;
}

function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  const sections = schema.shape;
  for (const [section, sectionSchema] of Object.entries(sections)) {
    const inner = (sectionSchema as unknown as { def: { innerType: z.ZodType } }).def.innerType;
    if (!(inner instanceof z.ZodObject)) continue; // arrays of tables (bridge) come from the file only
    for (const key of Object.keys(inner.shape)) {
      const dotted = `${section}.${key}`;
      const names = [...(ENV[dotted] ?? []), `MMBOT_${section.toUpperCase()}_${key.toUpperCase()}`];
      const value = names.map((n) => env[n]).find((v) => v !== undefined && v !== "");
      if (value === undefined) continue;
      const target = (raw[section] ??= {}) as Record<string, unknown>;
      target[key] = dotted === "policy.allowed_users" && value.trim() === "*" ? "*" : value;
    }
  }
}

function describeIssues(error: z.ZodError, raw: Record<string, unknown>, source: string): string {
  const lines = error.issues.map((issue) => {
    // bridge.0.program reads as bridge[0].program; examples are by key without the index
    const key = issue.path.map((k, i) => (typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${String(k)}`)).join("");
    const inArray = issue.path.some((k) => typeof k === "number");
    if (issue.code === "unrecognized_keys") {
      const where = key ? (inArray ? key : `[${key}]`) : "top level";
      return `${source}: unknown key ${issue.keys.map((k) => (key ? `${key}.${k}` : k)).join(", ")} in ${where}; check the spelling (see the README's configuration section)`;
    }
    const value = issue.path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k as string] : undefined), raw);
    const names = issue.path.filter((k) => typeof k !== "number").map(String);
    const exampleText = EXAMPLES[names.join(".")] ?? EXAMPLES[names.slice(0, 2).join(".")];
    const example = exampleText ? `\n  example: ${exampleText}` : "";
    const fromEnv = issue.path.length === 2 && !inArray; // only section.key can be set by environment
    const env = fromEnv ? ` (env ${ENV[key]?.[0] ?? `MMBOT_${key.replace(".", "_").toUpperCase()}`})` : "";
    const stated = value === undefined ? `${key} is missing` : `${key} = ${JSON.stringify(value)}`;
    return `${source}: ${stated}: ${issue.message}${env}${example}`;
  });
  return lines.join("\n");
}
