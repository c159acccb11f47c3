/**
 * Which user arguments a bridge accepts. `allow` lists sub-command words and regex patterns
 * written between slashes: when there are words, the first argument must be one of them; every
 * other argument must match one of the patterns, as a whole. An empty list accepts no arguments.
 * @example compileAllow(["list", "add", "/[\\w .,!?'-]{1,200}/"])
 */
export interface AllowRule {
  subcommands: string[];
  patterns: RegExp[];
  /** The patterns as configured, for messages. */
  patternSources: string[];
}

/** `/body/` or `/body/i`. */
const PATTERN = /^\/(.+)\/(i?)$/s;

export function isPatternEntry(entry: string): boolean {
  return PATTERN.test(entry);
}

/** Compiles a pattern entry anchored at both ends; throws a SyntaxError when it does not compile. */
export function compilePattern(entry: string): RegExp {
  const [, body = "", flags = ""] = PATTERN.exec(entry) ?? [];
  return new RegExp(`^(?:${body})$`, flags);
}

export function compileAllow(entries: string[]): AllowRule {
  const patternSources = entries.filter(isPatternEntry);
  return {
    subcommands: entries.filter((e) => !isPatternEntry(e)),
    patterns: patternSources.map(compilePattern),
    patternSources,
  };
}

/** A refused argument: its position (1-based, as a user counts) and why. */
export interface Refusal {
  position: number;
  argument: string;
  reason: string;
}

export function checkArguments(rule: AllowRule, args: string[]): Refusal | undefined {
  if (args.length === 0) return undefined;
  if (rule.subcommands.length === 0 && rule.patterns.length === 0) {
    return { position: 1, argument: args[0]!, reason: "this command takes no arguments" };
  }
  let rest = args;
  if (rule.subcommands.length > 0) {
    const [first = "", ...others] = args;
    if (!rule.subcommands.includes(first)) {
      return {
        position: 1,
        argument: first,
        reason: `the first argument must be one of: ${rule.subcommands.join(", ")}`,
      };
    }
    rest = others;
  }
  const offset = args.length - rest.length;
  for (const [i, arg] of rest.entries()) {
    if (rule.patterns.some((p) => p.test(arg))) continue;
    const reason =
      rule.patterns.length === 0
        ? `${args[0]} takes no further arguments`
        : `it must match ${rule.patternSources.length === 1 ? "" : "one of "}${rule.patternSources.join(", ")}`;
    return { position: offset + i + 1, argument: arg, reason };
  }
  return undefined;
}
