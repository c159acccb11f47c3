/**
 * The configuration reference, docs/config.md, rendered from the schema (src/service/config.ts): every
 * key with its environment variables, type, default, description (`.describe()`) and example
 * (EXAMPLES). `npm run docs:config` writes it; a test fails when it is out of date.
 */
import { z } from "zod";
import { EXAMPLES, configSchema, envNames } from "./config.js";

/** One key of the reference. */
export interface KeyDoc {
  /** Dotted, as in error messages: `policy.mention_only`, `bridge.program`. */
  key: string;
  /** The TOML table it goes in: `[policy]`, `[[bridge]]`. */
  table: string;
  type: string;
  /** TOML text of the default, or undefined when there is none. */
  defaultValue?: string;
  required: boolean;
  /** Empty when only the file can set it. */
  env: string[];
  /** How a value is spelled in the environment, when not as is. */
  envFormat?: string;
  description: string;
  example: string;
}

export interface TableDoc {
  table: string;
  description: string;
  keys: KeyDoc[];
}

/** Every table and key of the schema, in schema order; throws naming a key without description or example. */
export function describeConfig(): TableDoc[] {
  const tables: TableDoc[] = [];
  for (const [section, sectionSchema] of Object.entries(configSchema.shape)) {
    const description = sectionSchema.description ?? missing(section, "description");
    const inner = unwrap(sectionSchema).schema;
    if (inner instanceof z.ZodArray) {
      tables.push({
        table: `[[${section}]]`,
        description,
        keys: tableKeys(`[[${section}]]`, inner.element as z.ZodType),
      });
      continue;
    }
    const nested: TableDoc[] = [];
    const keys: KeyDoc[] = [];
    for (const [key, keySchema] of Object.entries(asObject(inner, section).shape)) {
      const dotted = `${section}.${key}`;
      const keyInner = unwrap(keySchema as z.ZodType).schema;
      // a list of strings or of tables (agent.channels): the key, and its tables too
      const tables =
        keyInner instanceof z.ZodUnion
          ? (keyInner.options as z.ZodType[]).find(
              (o): o is z.ZodArray<z.ZodObject> =>
                o instanceof z.ZodArray && o.element instanceof z.ZodObject,
            )
          : undefined;
      if (tables) {
        keys.push(keyDoc(dotted, `[${section}]`, keySchema as z.ZodType, true));
        nested.push({
          table: `[[${dotted}]]`,
          description: (keySchema as z.ZodType).description ?? missing(dotted, "description"),
          keys: tableKeys(`[[${dotted}]]`, tables.element),
        });
      } else if (keyInner instanceof z.ZodArray && keyInner.element instanceof z.ZodObject) {
        const table = `[[${dotted}]]`;
        nested.push({
          table,
          description: (keySchema as z.ZodType).description ?? missing(dotted, "description"),
          keys: tableKeys(table, keyInner.element),
        });
      } else {
        keys.push(keyDoc(dotted, `[${section}]`, keySchema as z.ZodType, true));
      }
    }
    tables.push({ table: `[${section}]`, description, keys }, ...nested);
  }
  return tables;
}

/** The keys of an array of tables: set in the file only. */
function tableKeys(table: string, element: z.ZodType): KeyDoc[] {
  const name = table.slice(2, -2);
  return Object.entries(asObject(element, name).shape).map(([key, schema]) =>
    keyDoc(`${name}.${key}`, table, schema as z.ZodType, false),
  );
}

function keyDoc(key: string, table: string, schema: z.ZodType, fromEnv: boolean): KeyDoc {
  const { schema: inner, defaultValue, optional } = unwrap(schema);
  const { type, envFormat } = typeOf(inner);
  return {
    key,
    table,
    type,
    defaultValue: defaultValue === undefined ? undefined : toToml(defaultValue),
    required: !optional && defaultValue === undefined,
    env: fromEnv ? envNames(key) : [],
    envFormat: fromEnv ? envFormat : undefined,
    description: schema.description ?? inner.description ?? missing(key, "description"),
    example: EXAMPLES[key] ?? missing(key, "example"),
  };
}

function missing(key: string, what: "description" | "example"): never {
  const fix =
    what === "example"
      ? `an entry "${key}" in EXAMPLES (src/service/config.ts)`
      : '.describe("…") on it in the schema (src/service/config.ts or the module that defines it)';
  throw new Error(`config reference: ${key} has no ${what}: add ${fix}`);
}

function asObject(schema: z.ZodType, name: string): z.ZodObject {
  if (!(schema instanceof z.ZodObject)) throw new Error(`config reference: ${name} is not a table`);
  return schema;
}

/** Strips `.optional()` and `.default()`, keeping what they say. */
function unwrap(schema: z.ZodType): {
  schema: z.ZodType;
  defaultValue?: unknown;
  optional: boolean;
} {
  let current = schema;
  let defaultValue: unknown;
  let optional = false;
  for (;;) {
    if (current instanceof z.ZodOptional) {
      optional = true;
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodDefault) {
      defaultValue = current.def.defaultValue;
      current = current.unwrap() as z.ZodType;
    } else return { schema: current, defaultValue, optional };
  }
}

/** The type as a reader writes it (the input side: what the file or the environment gives). */
function typeOf(schema: z.ZodType): { type: string; envFormat?: string } {
  if (schema instanceof z.ZodUnion) {
    // an option that transforms a string is the environment's spelling of another option
    const options = (schema.options as z.ZodType[]).filter(
      (option) => !(option instanceof z.ZodPipe && option.out instanceof z.ZodTransform),
    );
    const spelled = options.length < schema.options.length;
    const types = options.map((option) => typeOf(option));
    const envFormat =
      types.find((t) => t.envFormat)?.envFormat ?? (spelled ? envSpelling(options) : undefined);
    return { type: types.map((t) => t.type).join(" or "), envFormat };
  }
  if (schema instanceof z.ZodPipe) return typeOf(schema.in as z.ZodType);
  if (schema instanceof z.ZodURL) return { type: "URL" };
  if (schema instanceof z.ZodString) return { type: "string" };
  if (schema instanceof z.ZodNumber) {
    const bounded = (bound: number | null): bound is number =>
      bound !== null && Math.abs(bound) < Number.MAX_SAFE_INTEGER;
    const { minValue: min, maxValue: max } = schema;
    const range =
      bounded(min) && bounded(max)
        ? `, ${min}–${max}`
        : bounded(min)
          ? `, ≥ ${min}`
          : bounded(max)
            ? `, ≤ ${max}`
            : "";
    return { type: `${schema.isInt ? "integer" : "number"}${range}` };
  }
  if (schema instanceof z.ZodBoolean) return { type: "boolean" };
  if (schema instanceof z.ZodEnum)
    return { type: schema.options.map((o) => JSON.stringify(o)).join(" | ") };
  if (schema instanceof z.ZodLiteral)
    return { type: [...schema.values].map((v) => JSON.stringify(v)).join(" | ") };
  if (schema instanceof z.ZodArray)
    return { type: `list of ${plural(typeOf(schema.element as z.ZodType).type)}` };
  if (schema instanceof z.ZodObject) return { type: "tables" };
  if (schema instanceof z.ZodRecord)
    return { type: `table of ${plural(typeOf(schema.valueType as z.ZodType).type)}` };
  throw new Error(
    `config reference: no rendering for a ${schema.def.type} schema; extend typeOf in src/service/config-reference.ts`,
  );
}

function envSpelling(options: z.ZodType[]): string | undefined {
  if (options.some((o) => o instanceof z.ZodBoolean)) return "true, false, 1 or 0";
  if (options.some((o) => o instanceof z.ZodArray)) return "comma-separated";
  return undefined;
}

function plural(type: string): string {
  return type === "string" ? "strings" : type;
}

function toToml(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(toToml).join(", ")}]`;
  if (value && typeof value === "object" && Object.keys(value).length === 0) return "{}";
  if (value && typeof value === "object")
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k} = ${toToml(v)}`)
      .join(", ")} }`;
  return JSON.stringify(value);
}

/** docs/config.md. */
export function renderConfigReference(): string {
  const tables = describeConfig();
  const out: string[] = [
    "# Configuration reference",
    "",
    "<!-- generated from the schema (src/service/config.ts) by `npm run docs:config`: edit the schema, not this file -->",
    "",
    "`mmbot` reads `mmbot.toml` in the working directory (or the file given with `--config`), then",
    "the environment on top: a variable, when set and not empty, wins over the file. Every key of a",
    "`[section]` has a variable `MMBOT_<SECTION>_<KEY>` (some also a shorter alias, listed first);",
    "the `[[…]]` arrays of tables come from the file only. A bad value stops the start with the key,",
    "the value, what was expected and an example.",
    "",
    "| key | environment | type | default |",
    "|---|---|---|---|",
  ];
  for (const table of tables) {
    for (const key of table.keys)
      out.push(
        `| [\`${key.key}\`](#${anchor(key.key)}) | ${key.env.map((e) => `\`${e}\``).join(", ") || "file only"} | ${cell(key.type)} | ${key.required ? "required" : key.defaultValue === undefined ? "unset" : `\`${cell(key.defaultValue)}\``} |`,
      );
  }
  for (const table of tables) {
    out.push("", `## \`${table.table}\``, "", table.description);
    for (const key of table.keys) {
      out.push("", `### \`${key.key}\``, "", key.description, "");
      out.push(`- type: ${key.type}`);
      out.push(
        `- default: ${key.required ? "none, required" : key.defaultValue === undefined ? "unset" : `\`${key.defaultValue}\``}`,
      );
      out.push(
        `- environment: ${key.env.length ? key.env.map((e) => `\`${e}\``).join(", ") + (key.envFormat ? ` (${key.envFormat})` : "") : "none (the file only)"}`,
      );
      out.push("", "```toml", key.table, key.example, "```");
    }
  }
  return `${out.join("\n")}\n`;
}

/** GitHub's heading anchor for a key: `### \`policy.mention_only\`` → `policymention_only`. */
function anchor(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9_ -]/g, "");
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}
