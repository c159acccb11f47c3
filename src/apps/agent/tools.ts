/**
 * The tools the model may call: a developer's TypeScript tools and the tools of MCP servers,
 * offered by name with their schema, each with its policy (run, ask a person, or refuse). Each
 * call's result goes back to the model, for a bounded number of rounds. A failing tool is told
 * to the model, not the user.
 */
import type { Logger } from "../../log.js";
import { McpConnection, type McpConnectionOptions, type McpServerSpec } from "./mcp.js";
import type { ToolCall, ToolSpec } from "./model-client.js";
import { toolPolicy, type ToolPolicy } from "./policy.js";

/** What a tool's `run` learns of the question. */
export interface ToolCallContext {
  userId: string;
  channelId: string;
  /** The thread's root post id. */
  rootId: string;
  /** Aborted when the answer is stopped. */
  signal: AbortSignal;
}

export interface AgentTool {
  /** Letters, digits, `_` and `-`, as the API wants. */
  name: string;
  description: string;
  /** A JSON Schema of the arguments (an object schema). */
  parameters: Record<string, unknown>;
  /** The result, as text for the model. */
  run(args: Record<string, unknown>, context: ToolCallContext): string | Promise<string>;
  /** `ask`: each call waits for a person's approval in the thread; `deny`: never offered (default `allow`). */
  policy?: ToolPolicy;
}

/** What a call gives the model: text, and images (an MCP tool's; sent only with vision on). */
export interface ToolOutput {
  text: string;
  images: { mimeType: string; data: string }[];
}

/** A tool as offered, whatever its origin. */
export interface OfferedTool {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  policy: ToolPolicy;
  run(args: Record<string, unknown>, context: ToolCallContext): Promise<ToolOutput>;
}

/** A call about to run that needs a person's yes: the answer is undefined (approved) or why not. */
export type ApproveCall = (
  tool: OfferedTool,
  args: Record<string, unknown>,
) => Promise<string | undefined>;

/** Default cap of one tool result sent to the model, in characters. */
export const TOOL_RESULT_MAX_CHARS = 65_536;

/** The local tools and the MCP servers' tools as one set; the servers' part changes as they come and go. */
export class Toolbox {
  /** The MCP servers, once started. */
  connections: McpConnection[] = [];

  constructor(
    private readonly local: readonly AgentTool[],
    private readonly servers: readonly McpServerSpec[],
    private readonly maxResultChars = TOOL_RESULT_MAX_CHARS,
    private readonly connectionOptions: McpConnectionOptions = {},
  ) {}

  /** Starts the MCP servers and waits for their first try (each reports its own failure; none throws). */
  async start(logger: Logger): Promise<void> {
    this.connections = this.servers.map(
      (s) => new McpConnection(s, logger, this.connectionOptions),
    );
    await Promise.all(this.connections.map((c) => c.start()));
  }

  async close(): Promise<void> {
    await Promise.all(this.connections.map((c) => c.close()));
  }

  /**
   * Every tool offered now: the local ones, then each running server's (refused ones left out);
   * `servers`: only those MCP servers' (a channel's own choice).
   */
  offered(servers?: readonly string[]): OfferedTool[] {
    const local = this.local.map(
      (t): OfferedTool => ({
        name: t.name,
        description: t.description,
        parameters: t.parameters,
        policy: t.policy ?? "allow",
        run: async (args, context) => ({ text: await t.run(args, context), images: [] }),
      }),
    );
    const chosen = servers
      ? this.connections.filter((c) => servers.includes(c.server.name))
      : this.connections;
    const remote = chosen.flatMap((connection) =>
      connection.tools.map(
        (t): OfferedTool => ({
          name: t.fullName,
          description: t.description,
          parameters: t.inputSchema,
          policy: toolPolicy(connection.server, t),
          run: (args, context) =>
            connection.call(t.name, args, context.signal, this.maxResultChars),
        }),
      ),
    );
    return [...local, ...remote].filter((t) => t.policy !== "deny");
  }
}

export function toolSpecs(tools: readonly OfferedTool[]): ToolSpec[] {
  return tools.map((t) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }));
}

/** Runs one call (after its approval, when its policy asks for one); whatever happens, something for the model. */
export async function runToolCall(
  tools: readonly OfferedTool[],
  call: ToolCall,
  context: ToolCallContext,
  logger: Logger,
  approve?: ApproveCall,
): Promise<ToolOutput> {
  const told = (text: string): ToolOutput => ({ text, images: [] });
  const tool = tools.find((t) => t.name === call.function.name);
  if (!tool)
    return told(`error: there is no tool named ${call.function.name} (or it is not available now)`);
  let args: Record<string, unknown>;
  try {
    args = call.function.arguments.trim()
      ? (JSON.parse(call.function.arguments) as Record<string, unknown>)
      : {};
  } catch {
    return told(
      `error: the arguments are not valid JSON: ${call.function.arguments.slice(0, 200)}`,
    );
  }
  if (tool.policy === "ask") {
    const refused = approve
      ? await approve(tool, args)
      : "this tool needs a person's approval and none can be asked here";
    if (refused !== undefined) {
      logger.info({ tool: tool.name }, "agent: a tool call was not approved");
      return told(`refused: ${refused} The call was not run.`);
    }
  }
  try {
    const result = await tool.run(args, context);
    logger.info({ tool: tool.name }, "agent: a tool ran");
    return result;
  } catch (error) {
    if (context.signal.aborted) throw error;
    logger.warn({ tool: tool.name, err: error }, "agent: a tool failed");
    return told(`error: ${error instanceof Error ? error.message : String(error)}`);
  }
}
