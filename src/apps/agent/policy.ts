/**
 * Which tool calls run at once, which wait for a person's approval, and which are refused:
 * per server and per tool (glob patterns). By default a tool its server marks read-only runs,
 * any other waits for an approval; a TypeScript tool runs unless it says otherwise.
 */

export type ToolPolicy = "allow" | "ask" | "deny";

export const TOOL_POLICIES: readonly ToolPolicy[] = ["allow", "ask", "deny"];

/** `*` any text, `?` one character; the rest literal. */
export function globMatches(pattern: string, name: string): boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`).test(name);
}

/**
 * The policy of one server's tool: an exact name in `tools` first, then the first pattern that
 * matches (in the order written), then the server's `policy`, then the read-only default.
 */
export function toolPolicy(
  server: { policy?: ToolPolicy; tools?: Record<string, ToolPolicy> },
  tool: { name: string; readOnly: boolean },
): ToolPolicy {
  const rules = Object.entries(server.tools ?? {});
  const exact = rules.find(([pattern]) => pattern === tool.name);
  if (exact) return exact[1];
  const glob = rules.find(([pattern]) => globMatches(pattern, tool.name));
  if (glob) return glob[1];
  return server.policy ?? (tool.readOnly ? "allow" : "ask");
}
