/**
 * The `[[bridge]]` tables of mmbot.toml: the library's bridge options (src/apps/bridge/options.ts)
 * under their snake_case names, described for the reference, and the service's words naming
 * them. `bridgeFromConfig` turns the tables into the library's camelCase options.
 */
import { z } from "zod";
import { bridge, type BridgeAppOptions } from "../apps/bridge/index.js";
import {
  bridgeFields,
  requireTrigger,
  uniqueTriggers,
  type BridgeOptions,
  type BridgeTexts,
  type TriggerNames,
} from "../apps/bridge/options.js";
import type { App } from "../bot/app.js";
import { ConfigError } from "../errors.js";

/** Each key's description in the reference (docs/config.md). */
const DESCRIPTIONS: Record<keyof typeof bridgeFields, string> = {
  name: "For messages and logs; default: the command word (or the slash command, or the trigger word).",
  command: "The command word: @bot <command> …",
  slash: "A slash command, /deploy …, received over HTTP (needs [http] with slash_tokens).",
  triggerWord:
    "An outgoing webhook's trigger word, deploy … (needs [http] with outgoing_webhook_tokens).",
  program: "The program to run: an absolute path or a name looked up on PATH (checked at start).",
  args: "Fixed arguments, before the user's.",
  allow:
    "Which user arguments pass: words for the first argument, /regex/ entries for any argument (matched whole); empty: no arguments.",
  timeoutSeconds:
    "How long a run may take; then the program's process group gets SIGTERM, and SIGKILL 2 s later.",
  cwd: "The working directory; default: the bot's.",
  env: "Environment variables besides PATH, HOME and LANG (the program gets nothing else, but MMBOT_ONCE_KEY: the same on every run for one post, for the program to make its effect idempotent).",
  allowedUsers: "Who may run it, on top of policy.allowed_users.",
  channels: "Where it may run, on top of policy.channels; empty: wherever the bot answers.",
  maxConcurrent: 'Runs at once; a request beyond is answered "busy", not queued.',
  inlineMaxBytes: "Output beyond this is attached as a file instead of posted in code blocks.",
  maxOutputBytes: "At most this much of each stream is kept.",
};

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

const TOML_TRIGGERS: TriggerNames = {
  command: "command",
  slash: "slash",
  triggerWord: "trigger_word",
};

type Fields = typeof bridgeFields;
type SnakeCase<S extends string> = S extends `${infer Head}${infer Tail}`
  ? `${Head extends Uppercase<Head> ? (Head extends Lowercase<Head> ? Head : `_${Lowercase<Head>}`) : Head}${SnakeCase<Tail>}`
  : S;
type TomlFields = { [K in keyof Fields as SnakeCase<K & string>]: Fields[K] };

const tomlFields = Object.fromEntries(
  Object.entries(bridgeFields).map(([name, rule]) => [
    snake(name),
    rule.describe(DESCRIPTIONS[name as keyof Fields]),
  ]),
) as unknown as TomlFields;

/** One `[[bridge]]` entry of mmbot.toml: a chat command that runs a program. */
export const bridgeSchema = z
  .strictObject(tomlFields)
  .superRefine(
    requireTrigger(
      TOML_TRIGGERS,
      'expected at least one trigger: command = "deploy" (@bot deploy …), slash = "/deploy" or trigger_word = "deploy"',
    ),
  );

/** Every bridge: the `[[bridge]]` array of tables, each trigger used by one bridge only. */
export const bridgesSchema = z.array(bridgeSchema).superRefine(uniqueTriggers(TOML_TRIGGERS));

export type BridgeConfig = z.output<typeof bridgeSchema>;
/** A `[[bridge]]` table as written: keys with defaults may be left out. */
export type BridgeInput = z.input<typeof bridgeSchema>;

/** Examples for error messages, by key inside a bridge. */
export const BRIDGE_EXAMPLES: Record<string, string> = {
  name: 'name = "todo"',
  command: 'command = "todo"   # @bot todo list',
  slash: 'slash = "/todo"   # /todo list',
  trigger_word: 'trigger_word = "todo"   # todo list',
  program: 'program = "/usr/local/bin/todo"   # or a name on PATH: "node"',
  args: 'args = ["--no-color"]',
  allow: 'allow = ["list", "add", "done", "/[\\\\w .,!?\'-]{1,200}/"]',
  timeout_seconds: "timeout_seconds = 30",
  cwd: 'cwd = "/srv/todo"',
  env: 'env = { TODO_FILE = "/srv/todo/todo.json" }',
  allowed_users: 'allowed_users = ["alice", "bob"]   # or "*"',
  channels: 'channels = ["ops"]',
  max_concurrent: "max_concurrent = 1",
  inline_max_bytes: "inline_max_bytes = 32768",
  max_output_bytes: "max_output_bytes = 1048576",
};

/** What the bridge says, naming mmbot.toml's keys. */
export const serviceBridgeTexts: BridgeTexts = {
  notAllowed: (name) =>
    `Sorry, you are not allowed to run ${name}. Ask an admin to add you to its allowed_users in mmbot.toml.`,
  programFix: "An admin should check this bridge's `program` in mmbot.toml.",
  example: (option) => BRIDGE_EXAMPLES[option]!,
};

/** A `[[bridge]]` table as the library's options. */
export function bridgeOptions(table: BridgeInput): BridgeOptions {
  return Object.fromEntries(
    Object.entries(table).map(([key, value]) => [camel(key), value]),
  ) as BridgeOptions;
}

/** The bridge app of `[[bridge]]` tables: checked as mmbot.toml's (errors name its keys), then built from their options. */
export function bridgeFromConfig(tables: BridgeInput[], options: BridgeAppOptions = {}): App {
  const parsed = bridgesSchema.safeParse(tables);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) =>
        `bridge[${String(issue.path[0])}].${issue.path.slice(1).join(".")}: ${issue.message}`,
    );
    throw new ConfigError(issues.join("\n"));
  }
  return bridge(parsed.data.map(bridgeOptions), {
    ...options,
    texts: { ...serviceBridgeTexts, ...options.texts },
  });
}
