/**
 * `[[agent.mcp]]`: the MCP servers whose tools the agent offers the model, each a local server
 * (`command`, started as a child process) or a remote one (`url`), with the policy of its tools.
 * `mcpFromConfig` turns the tables into the library's `mcpServer()` options.
 */
import { z } from "zod";
import type { McpServerSpec } from "../apps/agent/index.js";

const policy = z.enum(["allow", "ask", "deny"], {
  error: 'expected "allow", "ask" or "deny"',
});

const mcpServerSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{1,30}$/,
        "expected 1 to 30 letters, digits, _ or - (it prefixes the tools' names the model sees)",
      )
      .describe("Names the server's tools for the model: `<name>__<tool>`; in logs and doctor."),
    command: z
      .string()
      .min(1, "expected a program")
      .optional()
      .describe(
        "A local server: the program started as a child process speaking MCP on stdio (an absolute path or a name on PATH).",
      ),
    args: z.array(z.string()).default([]).describe("The program's arguments."),
    env: z
      .record(z.string(), z.string())
      .default({})
      .describe(
        "Its environment besides HOME, LOGNAME, PATH, SHELL, TERM and USER (inherited); nothing else of the bot's is passed.",
      ),
    cwd: z.string().optional().describe("Its working directory; default: the bot's."),
    url: z
      .url({ protocol: /^https?$/, error: "expected an http:// or https:// URL" })
      .optional()
      .describe("A remote server: its streamable HTTP endpoint (often ending in /mcp)."),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .describe("Sent with every request to a remote server, e.g. Authorization."),
    policy: policy
      .optional()
      .describe(
        "allow (run), ask (a person approves each call in the thread) or deny (never offered) for the server's tools; unset: allow for a tool the server marks read-only (readOnlyHint), ask for the others.",
      ),
    tools: z
      .record(z.string(), policy)
      .default({})
      .describe(
        "The policy per tool, by its name on the server or a pattern (* any text, ? one character); an exact name wins, then the first pattern written; wins over policy.",
      ),
  })
  .superRefine((server, ctx) => {
    if ((server.command === undefined) === (server.url === undefined))
      ctx.addIssue({
        code: "custom",
        path: [server.command === undefined ? "command" : "url"],
        message:
          server.command === undefined
            ? "expected command (a local server) or url (a remote one)"
            : "expected command or url, not both",
      });
  });

export const mcpServersSchema = z.array(mcpServerSchema).superRefine((servers, ctx) => {
  const seen = new Set<string>();
  servers.forEach((server, i) => {
    if (seen.has(server.name))
      ctx.addIssue({
        code: "custom",
        path: [i, "name"],
        message: "expected a name no other [[agent.mcp]] server has",
      });
    seen.add(server.name);
  });
});

export type McpServerConfig = z.output<typeof mcpServerSchema>;

/** Examples for error messages and the reference, by key inside `[[agent.mcp]]`. */
export const MCP_EXAMPLES: Record<string, string> = {
  "mcp.name": 'name = "fs"',
  "mcp.command": 'command = "npx"',
  "mcp.args": 'args = ["@modelcontextprotocol/server-filesystem", "/srv/docs"]',
  "mcp.env": 'env = { GITHUB_TOKEN = "…" }',
  "mcp.cwd": 'cwd = "/srv"',
  "mcp.url": 'url = "https://mcp.example.com/mcp"',
  "mcp.headers": 'headers = { Authorization = "Bearer …" }',
  "mcp.policy": 'policy = "ask"',
  "mcp.tools": 'tools = { "read_*" = "allow", "write_file" = "ask", "move_file" = "deny" }',
};

export async function mcpFromConfig(servers: readonly McpServerConfig[]): Promise<McpServerSpec[]> {
  // the agent app is loaded only by a bot (or a doctor) that has [agent]: config.ts imports this file
  const { mcpServer } = await import("../apps/agent/index.js");
  return servers.map((s) =>
    mcpServer({
      name: s.name,
      command: s.command,
      args: s.args,
      env: Object.keys(s.env).length ? s.env : undefined,
      cwd: s.cwd,
      url: s.url,
      headers: s.headers,
      policy: s.policy,
      tools: s.tools,
    }),
  );
}

/** One `[[agent.channels]]` table: where the agent speaks, and how. */
export const agentChannelSchema = z.strictObject({
  channel: z
    .string()
    .min(1, "expected a channel name or id, or dm")
    .describe("A channel name or id; dm: direct messages."),
  mode: z
    .enum(["mention", "threads", "root_posts", "all"], {
      error: 'expected "mention", "threads", "root_posts" or "all"',
    })
    .default("mention")
    .describe(
      "mention: a mention starts it, it follows the thread until idle; threads: as mention, but every reply of a thread it was summoned to is answered, idle or not (30 days); root_posts: every new root post is answered; all: every post. Modes other than mention need [policy] mention_only = false (the default).",
    ),
  system_prompt: z.string().optional().describe("Instead of agent.system_prompt, here."),
  model: z
    .string()
    .min(1, "expected a model name")
    .optional()
    .describe("Instead of agent.model, here."),
  allowed_users: z
    .union([z.literal("*"), z.array(z.string())], {
      error: 'expected "*" (everybody) or a list of usernames, e.g. ["alice", "bob"]',
    })
    .optional()
    .describe("Who may summon it here, instead of agent.allowed_users."),
  mcp: z
    .array(z.string())
    .optional()
    .describe("Only these [[agent.mcp]] servers' tools here (their names); unset: every server's."),
});

export type AgentChannelConfig = z.output<typeof agentChannelSchema>;

export const CHANNEL_EXAMPLES: Record<string, string> = {
  "channels.channel": 'channel = "support"   # or its id, or "dm"',
  "channels.mode": 'mode = "threads"',
  "channels.system_prompt": 'system_prompt = "You answer customers\' questions about Acme."',
  "channels.model": 'model = "qwen2.5-32b-instruct"',
  "channels.allowed_users": 'allowed_users = ["alice", "bob"]',
  "channels.mcp": 'mcp = ["fs"]   # [] for no MCP tools here',
};
