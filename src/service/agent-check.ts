/**
 * `mmbot doctor`'s look at the `[agent]` endpoint (and, below, its MCP servers): `GET {url}/models` answers, accepts the key,
 * and lists the model. The key is never printed.
 */
import { listModels, McpConnection, ModelError, toolPolicy } from "../apps/agent/index.js";
import { silentLogger } from "../log.js";
import { mcpFromConfig } from "./agent-mcp-config.js";
import type { Config } from "./config.js";
import type { CheckResult } from "./setup/check-result.js";

export async function checkAgentEndpoint(
  section: NonNullable<Config["agent"]>,
  apiKey: string | undefined,
  fetchImpl?: typeof fetch,
): Promise<CheckResult> {
  const name = "agent-endpoint";
  const where = `${section.url.replace(/\/+$/, "")}/models`;
  try {
    const models = await listModels({ url: section.url, apiKey, fetch: fetchImpl });
    if (models.includes(section.model))
      return {
        name,
        ok: true,
        label: `agent endpoint ${where} answers and lists the model ${section.model}`,
      };
    const listed = models.length
      ? models.slice(0, 10).join(", ") + (models.length > 10 ? ", …" : "")
      : "none";
    return {
      name,
      ok: false,
      label: `agent endpoint ${where} does not list the model ${section.model} (it lists: ${listed})`,
      fix: "set agent.model to one of the listed models",
    };
  } catch (error) {
    const failure = error instanceof ModelError ? error : undefined;
    if (failure?.failure === "key") {
      const fix = section.api_key_env
        ? `check the key in the variable ${section.api_key_env} (agent.api_key_env)`
        : "the endpoint wants a key: set agent.api_key_env to the name of the variable holding it";
      return {
        name,
        ok: false,
        label: `agent endpoint ${where} refused the key (HTTP ${failure.details.status})`,
        fix,
      };
    }
    if (failure?.failure === "unreachable")
      return {
        name,
        ok: false,
        label: `agent endpoint ${where} cannot be reached`,
        fix: "check agent.url and that the model server runs",
      };
    const why = failure?.details.status
      ? `HTTP ${failure.details.status}`
      : error instanceof Error
        ? error.message
        : String(error);
    return {
      name,
      ok: false,
      label: `agent endpoint ${where} failed (${why})`,
      fix: "check agent.url: it is the base URL, usually ending in /v1",
    };
  }
}

/**
 * `mmbot doctor`'s look at each `[[agent.mcp]]` server: started (or reached), its tools listed
 * with their policy, then closed.
 */
export async function checkMcpServers(
  servers: NonNullable<Config["agent"]>["mcp"],
  timeoutMs = 30_000,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const spec of await mcpFromConfig(servers)) {
    const name = `agent-mcp:${spec.name}`;
    const what = spec.command
      ? `MCP server ${spec.name} (${[spec.command, ...(spec.args ?? [])].join(" ")})`
      : `MCP server ${spec.name} (${spec.url})`;
    const connection = new McpConnection(spec, silentLogger(), {
      connectTimeoutMs: timeoutMs,
      restartDelayMs: 3_600_000, // the doctor looks once
    });
    try {
      await connection.start();
      if (!connection.up) {
        results.push({
          name,
          ok: false,
          label: `${what} did not start: ${connection.lastError ?? "no answer"}`,
          fix: spec.command
            ? `check agent.mcp "${spec.name}": command, args, env and cwd (run the command by hand: it should wait for MCP on stdin)`
            : `check agent.mcp "${spec.name}": url and headers, and that the server runs`,
        });
        continue;
      }
      const tools = connection.tools.map((t) => `${t.fullName} (${toolPolicy(spec, t)})`);
      results.push({
        name,
        ok: true,
        label: `${what} lists ${tools.length} tool${tools.length === 1 ? "" : "s"}${tools.length ? `: ${tools.join(", ")}` : ""}`,
      });
    } finally {
      await connection.close();
    }
  }
  return results;
}
