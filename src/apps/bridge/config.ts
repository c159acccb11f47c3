import { isAbsolute } from "node:path";
import { z } from "zod";
import { compilePattern, isPatternEntry } from "./allow.js";

const word = /^[a-z0-9][a-z0-9_.-]*$/i;

const allowEntry = z.string().superRefine((entry, ctx) => {
  if (!isPatternEntry(entry)) {
    if (!/^\S+$/.test(entry)) ctx.addIssue({ code: "custom", message: 'expected a sub-command word (e.g. "list") or a regex between slashes (e.g. "/[a-z0-9-]{1,40}/")' });
    return;
  }
  try {
    compilePattern(entry);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `the regex does not compile: ${error instanceof Error ? error.message : String(error)}` });
  }
});

/** One `[[bridge]]` entry of mmbot.toml: a chat command that runs a program. */
export const bridgeSchema = z
  .strictObject({
    name: z.string().regex(word, "expected a short name of letters, digits, _ . -").optional().describe("For messages and logs; default: the command word (or the slash command, or the trigger word)."),
    command: z.string().regex(word, "expected one word of letters, digits, _ . - (the text after @bot)").optional().describe("The command word: @bot <command> …"),
    slash: z
      .string()
      .regex(/^\/[a-z0-9][a-z0-9_.-]*$/i, 'expected "/" then one word of letters, digits, _ . - (e.g. "/deploy")')
      .optional()
      .describe("A slash command, /deploy …, received over HTTP (needs [http] with slash_tokens)."),
    trigger_word: z.string().regex(/^\S+$/, 'expected one word without spaces (e.g. "deploy" or "!deploy")').optional().describe("An outgoing webhook's trigger word, deploy … (needs [http] with outgoing_webhook_tokens)."),
    program: z
      .string()
      .min(1, "expected a program")
      .refine((p) => isAbsolute(p) || !p.includes("/"), "expected an absolute path or a program name looked up on PATH")
      .describe("The program to run: an absolute path or a name looked up on PATH (checked at start)."),
    args: z.array(z.string()).default([]).describe("Fixed arguments, before the user's."),
    allow: z.array(allowEntry).default([]).describe("Which user arguments pass: words for the first argument, /regex/ entries for any argument (matched whole); empty: no arguments."),
    timeout_seconds: z.number().positive("expected a number of seconds above 0").max(86_400, "expected at most 86400 (a day)").default(30).describe("How long a run may take; then the program's process group gets SIGTERM, and SIGKILL 2 s later."),
    cwd: z.string().refine(isAbsolute, "expected an absolute directory path").optional().describe("The working directory; default: the bot's."),
    env: z.record(z.string(), z.string()).default({}).describe("Environment variables besides PATH, HOME and LANG (the program gets nothing else, but MMBOT_ONCE_KEY: the same on every run for one post, for the program to make its effect idempotent)."),
    allowed_users: z.union([z.literal("*"), z.array(z.string())]).default("*").describe("Who may run it, on top of policy.allowed_users."),
    channels: z.array(z.string()).default([]).describe("Where it may run, on top of policy.channels; empty: wherever the bot answers."),
    max_concurrent: z.number().int("expected a whole number").min(1, "expected 1 or more").default(1).describe('Runs at once; a request beyond is answered "busy", not queued.'),
    inline_max_bytes: z.number().int("expected a whole number").min(0, "expected 0 or more").default(32_768).describe("Output beyond this is attached as a file instead of posted in code blocks."),
    max_output_bytes: z.number().int("expected a whole number").min(1024, "expected at least 1024").default(1_048_576).describe("At most this much of each stream is kept."),
  })
  .superRefine((bridge, ctx) => {
    if (bridge.command === undefined && bridge.slash === undefined && bridge.trigger_word === undefined) {
      ctx.addIssue({ code: "custom", path: ["command"], message: 'expected at least one trigger: command = "deploy" (@bot deploy …), slash = "/deploy" or trigger_word = "deploy"' });
    }
  });

export type BridgeConfig = z.output<typeof bridgeSchema>;
/** A bridge as written: keys with defaults may be left out. */
export type BridgeInput = z.input<typeof bridgeSchema>;

/** The name in messages and logs. */
export function bridgeName(bridge: BridgeConfig): string {
  return bridge.name ?? bridge.command ?? bridge.slash?.slice(1) ?? bridge.trigger_word ?? "bridge";
}

/** Every bridge: the `[[bridge]]` array of tables, each trigger used by one bridge only. */
export const bridgesSchema = z.array(bridgeSchema).superRefine((bridges, ctx) => {
  const unique = (key: "command" | "slash" | "trigger_word", what: string, normalise: (value: string) => string) => {
    const seen = new Map<string, number>();
    bridges.forEach((bridge, i) => {
      const value = bridge[key];
      if (value === undefined) return;
      const first = seen.get(normalise(value));
      if (first !== undefined) ctx.addIssue({ code: "custom", path: [i, key], message: `expected ${what} not used by another bridge (bridge[${first}] has it too)` });
      else seen.set(normalise(value), i);
    });
  };
  unique("command", "a command word", (v) => v.toLowerCase());
  unique("slash", "a slash command", (v) => v.toLowerCase());
  unique("trigger_word", "a trigger word", (v) => v); // Mattermost matches trigger words exactly
});

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
