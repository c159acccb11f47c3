/**
 * A bridge's options, as a library user writes them (camelCase), and the rules each one follows.
 * The service's `[[bridge]]` tables are these same rules under snake_case names
 * (src/service/bridge-config.ts): the words about mmbot.toml are the service's, passed in as
 * `BridgeTexts`.
 */
import { isAbsolute } from "node:path";
import { z } from "zod";
import { compilePattern, isPatternEntry } from "./allow.js";

const word = /^[a-z0-9][a-z0-9_.-]*$/i;

const allowEntry = z.string().superRefine((entry, ctx) => {
  if (!isPatternEntry(entry)) {
    if (!/^\S+$/.test(entry))
      ctx.addIssue({
        code: "custom",
        message:
          'expected a sub-command word (e.g. "list") or a regex between slashes (e.g. "/[a-z0-9-]{1,40}/")',
      });
    return;
  }
  try {
    compilePattern(entry);
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      message: `the regex does not compile: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
});

/** Each option's rule and default, by its name; the order is the reference's. */
export const bridgeFields = {
  name: z.string().regex(word, "expected a short name of letters, digits, _ . -").optional(),
  command: z
    .string()
    .regex(word, "expected one word of letters, digits, _ . - (the text after @bot)")
    .optional(),
  slash: z
    .string()
    .regex(
      /^\/[a-z0-9][a-z0-9_.-]*$/i,
      'expected "/" then one word of letters, digits, _ . - (e.g. "/deploy")',
    )
    .optional(),
  triggerWord: z
    .string()
    .regex(/^\S+$/, 'expected one word without spaces (e.g. "deploy" or "!deploy")')
    .optional(),
  program: z
    .string()
    .min(1, "expected a program")
    .refine(
      (p) => isAbsolute(p) || !p.includes("/"),
      "expected an absolute path or a program name looked up on PATH",
    ),
  args: z.array(z.string()).default([]),
  allow: z.array(allowEntry).default([]),
  timeoutSeconds: z
    .number()
    .positive("expected a number of seconds above 0")
    .max(86_400, "expected at most 86400 (a day)")
    .default(30),
  cwd: z.string().refine(isAbsolute, "expected an absolute directory path").optional(),
  env: z.record(z.string(), z.string()).default({}),
  allowedUsers: z.union([z.literal("*"), z.array(z.string())]).default("*"),
  channels: z.array(z.string()).default([]),
  maxConcurrent: z.number().int("expected a whole number").min(1, "expected 1 or more").default(1),
  inlineMaxBytes: z
    .number()
    .int("expected a whole number")
    .min(0, "expected 0 or more")
    .default(32_768),
  maxOutputBytes: z
    .number()
    .int("expected a whole number")
    .min(1024, "expected at least 1024")
    .default(1_048_576),
};

/** The trigger options by the names a schema gives them (the library's, or the service's snake_case). */
export interface TriggerNames {
  command: string;
  slash: string;
  triggerWord: string;
}

const LIBRARY_TRIGGERS: TriggerNames = {
  command: "command",
  slash: "slash",
  triggerWord: "triggerWord",
};

/** A bridge needs at least one trigger; `missing` says so in the schema's own words. */
export function requireTrigger(names: TriggerNames, missing: string) {
  return (bridge: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (
      bridge[names.command] === undefined &&
      bridge[names.slash] === undefined &&
      bridge[names.triggerWord] === undefined
    ) {
      ctx.addIssue({ code: "custom", path: [names.command], message: missing });
    }
  };
}

/** Each trigger is used by one bridge only. */
export function uniqueTriggers(names: TriggerNames) {
  return (bridges: Record<string, unknown>[], ctx: z.RefinementCtx) => {
    const unique = (key: string, what: string, normalise: (value: string) => string) => {
      const seen = new Map<string, number>();
      bridges.forEach((bridge, i) => {
        const value = bridge[key] as string | undefined;
        if (value === undefined) return;
        const first = seen.get(normalise(value));
        if (first !== undefined)
          ctx.addIssue({
            code: "custom",
            path: [i, key],
            message: `expected ${what} not used by another bridge (bridge[${first}] has it too)`,
          });
        else seen.set(normalise(value), i);
      });
    };
    unique(names.command, "a command word", (v) => v.toLowerCase());
    unique(names.slash, "a slash command", (v) => v.toLowerCase());
    unique(names.triggerWord, "a trigger word", (v) => v); // Mattermost matches trigger words exactly
  };
}

/** One bridge's options, checked, with defaults. */
export const bridgeOptionsSchema = z
  .strictObject(bridgeFields)
  .superRefine(
    requireTrigger(
      LIBRARY_TRIGGERS,
      'expected at least one trigger: command: "deploy" (@bot deploy …), slash: "/deploy" or triggerWord: "deploy"',
    ),
  );

/** Every bridge of one app, each trigger used by one bridge only. */
export const bridgeListSchema = z
  .array(bridgeOptionsSchema)
  .superRefine(uniqueTriggers(LIBRARY_TRIGGERS));

/** A bridge checked, with its defaults. */
export type BridgeSettings = z.output<typeof bridgeOptionsSchema>;
/** A bridge as written: options with defaults may be left out. */
export type BridgeOptions = z.input<typeof bridgeOptionsSchema>;

/** The name in messages and logs. */
export function bridgeName(bridge: BridgeSettings): string {
  return bridge.name ?? bridge.command ?? bridge.slash?.slice(1) ?? bridge.triggerWord ?? "bridge";
}

/** What the bridge says where it names its settings; the service passes its own (naming mmbot.toml's keys). */
export interface BridgeTexts {
  /** To a user outside the bridge's `allowedUsers`; `name` is the bridge's name as a code span. */
  notAllowed: (name: string) => string;
  /** After "the program `x` was not found" (or not executable): who should fix what. */
  programFix: string;
  /** Appended to a refused `program` or `cwd` at start: an example of the setting, if any. */
  example?: (option: "program" | "cwd") => string;
}

export const defaultBridgeTexts: BridgeTexts = {
  notAllowed: (name) =>
    `Sorry, you are not allowed to run ${name}. Ask an admin to add you to its allowed users.`,
  programFix: "An admin should check this bridge's program.",
};
