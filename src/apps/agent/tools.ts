/**
 * Tools a developer gives the agent: the model may call them; each call's result goes back to
 * the model, for a bounded number of rounds. A failing tool is told to the model, not the user.
 */
import type { Logger } from "../../log.js";
import type { ToolCall, ToolSpec } from "./model-client.js";

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
}

export function toolSpecs(tools: readonly AgentTool[]): ToolSpec[] {
  return tools.map((t) => ({
    type: "function",
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }));
}

/** Runs one call; whatever happens, a text for the model. */
export async function runToolCall(
  tools: readonly AgentTool[],
  call: ToolCall,
  context: ToolCallContext,
  logger: Logger,
): Promise<string> {
  const tool = tools.find((t) => t.name === call.function.name);
  if (!tool) return `error: there is no tool named ${call.function.name}`;
  let args: Record<string, unknown>;
  try {
    args = call.function.arguments.trim()
      ? (JSON.parse(call.function.arguments) as Record<string, unknown>)
      : {};
  } catch {
    return `error: the arguments are not valid JSON: ${call.function.arguments.slice(0, 200)}`;
  }
  try {
    const result = await tool.run(args, context);
    logger.info({ tool: tool.name }, "agent: a tool ran");
    return result;
  } catch (error) {
    logger.warn({ tool: tool.name, err: error }, "agent: a tool failed");
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}
