/**
 * MCP servers the agent reaches for tools: a local one started as a child process (stdio) or a
 * remote one (streamable HTTP), through the official SDK, loaded only when a server is given.
 * The tools are listed at start and again when the server says they changed. A server that
 * fails to start or dies is reported once, restarted with a growing delay, and offers no tools
 * while it is down; a call to it then fails with a text for the model.
 */
import type { Logger } from "../../log.js";
import type { ToolPolicy } from "./policy.js";

/** An MCP server for the agent: give `command` (a local server) or `url` (a remote one). */
export interface McpServerOptions {
  /** Names its tools for the model: `<name>__<tool>`. Letters, digits, `_` and `-`. */
  name: string;
  /** The program of a local server, started as a child process speaking MCP on stdio. */
  command?: string;
  args?: string[];
  /** Its environment besides HOME, LOGNAME, PATH, SHELL, TERM and USER (which it gets from ours). */
  env?: Record<string, string>;
  cwd?: string;
  /** The address of a remote server (streamable HTTP). */
  url?: string;
  /** Sent with every request to a remote server, e.g. `Authorization`. */
  headers?: Record<string, string>;
  /** The policy of the server's tools; unset: `allow` for a tool marked read-only, else `ask`. */
  policy?: ToolPolicy;
  /** Per tool (its name on the server; `*` and `?` match any text or character): wins over `policy`. */
  tools?: Record<string, ToolPolicy>;
}

/** An MCP server in `agent({ tools: [...] })`, beside the TypeScript tools. */
export interface McpServerSpec extends McpServerOptions {
  readonly kind: "mcp";
}

/** @example agent({ tools: [mcpServer({ name: "fs", command: "npx", args: ["@modelcontextprotocol/server-filesystem", "/srv/docs"] })] }) */
export function mcpServer(options: McpServerOptions): McpServerSpec {
  checkServerOptions(options);
  return { ...options, kind: "mcp" };
}

const SERVER_NAME = /^[A-Za-z0-9_-]{1,30}$/;

/** Throws a TypeError naming what is wrong with a server's options. */
export function checkServerOptions(options: McpServerOptions): void {
  if (!SERVER_NAME.test(options.name))
    throw new TypeError(
      `MCP server name ${JSON.stringify(options.name)} is not allowed: 1 to 30 letters, digits, _ or - (it prefixes its tools' names, which models accept only of those characters)`,
    );
  if ((options.command === undefined) === (options.url === undefined))
    throw new TypeError(
      `MCP server ${options.name}: give either command (a local server, started as a child process) or url (a remote one), not ${options.command === undefined ? "neither" : "both"}`,
    );
}

/** One tool of a server as the agent offers it. */
export interface McpTool {
  server: string;
  /** The tool's name on its server. */
  name: string;
  /** The name the model sees: `<server>__<tool>`, cut to what function names may be. */
  fullName: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** The server marks it `readOnlyHint`. */
  readOnly: boolean;
}

/** A tool's result for the model: its text, and images (which only some models take). */
export interface McpResult {
  text: string;
  images: { mimeType: string; data: string }[];
  isError: boolean;
}

/** Function names: letters, digits, `_` and `-`, at most 64 (OpenAI's rule; others are laxer). */
const MAX_FUNCTION_NAME = 64;

/** `<server>__<tool>` with what a function name may not hold replaced, cut to 64 with a hash to stay unique. */
export function toolFullName(server: string, tool: string): string {
  const name = `${server}__${tool.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  if (name.length <= MAX_FUNCTION_NAME) return name;
  let hash = 0;
  for (const c of tool) hash = (hash * 31 + c.charCodeAt(0)) >>> 0;
  const suffix = `_${hash.toString(36)}`;
  return name.slice(0, MAX_FUNCTION_NAME - suffix.length) + suffix;
}

export interface McpConnectionOptions {
  /** The first delay before a restart; it doubles up to `maxRestartDelayMs` (default 1 s). */
  restartDelayMs?: number;
  /** Default 60 s. */
  maxRestartDelayMs?: number;
  /** A call that takes longer fails (default 5 min). */
  callTimeoutMs?: number;
  /** Starting and listing tools may take this long (default 30 s). */
  connectTimeoutMs?: number;
  /** Called when the tools offered change (listed, changed, withdrawn). */
  onToolsChanged?: () => void;
}

type Sdk = {
  Client: typeof import("@modelcontextprotocol/sdk/client/index.js").Client;
  StdioClientTransport: typeof import("@modelcontextprotocol/sdk/client/stdio.js").StdioClientTransport;
  StreamableHTTPClientTransport: typeof import("@modelcontextprotocol/sdk/client/streamableHttp.js").StreamableHTTPClientTransport;
  ToolListChangedNotificationSchema: typeof import("@modelcontextprotocol/sdk/types.js").ToolListChangedNotificationSchema;
};
type Client = InstanceType<Sdk["Client"]>;

let sdkLoading: Promise<Sdk> | undefined;

/** The SDK, imported the first time a server is used (an optional dependency). */
export function loadSdk(): Promise<Sdk> {
  sdkLoading ??= (async () => {
    try {
      const [client, stdio, http, types] = await Promise.all([
        import("@modelcontextprotocol/sdk/client/index.js"),
        import("@modelcontextprotocol/sdk/client/stdio.js"),
        import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
        import("@modelcontextprotocol/sdk/types.js"),
      ]);
      return {
        Client: client.Client,
        StdioClientTransport: stdio.StdioClientTransport,
        StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
        ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
      };
    } catch (error) {
      sdkLoading = undefined;
      throw new Error(
        "MCP servers need the package @modelcontextprotocol/sdk: install it with npm install @modelcontextprotocol/sdk",
        { cause: error },
      );
    }
  })();
  return sdkLoading;
}

/**
 * One server: connected, listing its tools, restarted when it goes away. `start()` never
 * throws; `tools` is empty while the server is down.
 */
export class McpConnection {
  tools: McpTool[] = [];
  /** Why the server is down (undefined while it is up, or before the first try). */
  lastError: string | undefined;
  private client: Client | undefined;
  private closed = false;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private generation = 0;

  constructor(
    readonly server: McpServerOptions,
    private readonly logger: Logger,
    private readonly options: McpConnectionOptions = {},
  ) {}

  /** The server's process id (a local server that runs), for logs and tests. */
  get pid(): number | undefined {
    const transport = this.client?.transport as { pid?: number | null } | undefined;
    return transport?.pid ?? undefined;
  }

  get up(): boolean {
    return this.client !== undefined;
  }

  /** Connects and lists the tools; on failure reports it (once) and tries again later. */
  async start(): Promise<void> {
    if (this.closed) return;
    const generation = ++this.generation;
    try {
      const client = await this.connect();
      if (this.closed || generation !== this.generation) {
        await client.close().catch(() => {});
        return;
      }
      this.client = client;
      client.onclose = () => {
        if (this.client !== client) return;
        this.down(new Error("the connection closed (the server exited?)"));
      };
      await this.refreshTools();
      if (this.failures > 0)
        this.logger.info({ mcpServer: this.server.name }, "agent: the MCP server is up again");
      this.failures = 0;
      this.lastError = undefined;
    } catch (error) {
      if (generation === this.generation) this.down(error);
    }
  }

  /** Calls a tool by its name on the server; a failure is a result with `isError`, for the model. */
  async call(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    maxChars: number,
  ): Promise<McpResult> {
    const client = this.client;
    if (!client)
      return {
        text: `error: the MCP server ${this.server.name} is not running (${this.lastError ?? "starting"}); try again later`,
        images: [],
        isError: true,
      };
    try {
      const result = await client.callTool({ name, arguments: args }, undefined, {
        signal,
        timeout: this.options.callTimeoutMs ?? 300_000,
      });
      return resultForModel(result as CallResult, maxChars);
    } catch (error) {
      if (signal.aborted) throw error;
      return { text: `error: ${errorText(error)}`, images: [], isError: true };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.restartTimer);
    const client = this.client;
    this.client = undefined;
    this.tools = [];
    await client?.close().catch(() => {});
  }

  private async connect(): Promise<Client> {
    const sdk = await loadSdk();
    const client = new sdk.Client({ name: "mmbot-agent", version: "1" }, { capabilities: {} });
    const server = this.server;
    const transport = server.command
      ? new sdk.StdioClientTransport({
          command: server.command,
          args: server.args ?? [],
          env: server.env ? { ...defaultEnv(), ...server.env } : undefined,
          cwd: server.cwd,
          stderr: "pipe",
        })
      : new sdk.StreamableHTTPClientTransport(new URL(server.url!), {
          requestInit: { headers: server.headers ?? {} },
        });
    const stderr = "stderr" in transport ? transport.stderr : null;
    let lastLines = "";
    stderr?.on("data", (chunk: Buffer) => {
      lastLines = (lastLines + String(chunk)).slice(-2000);
    });
    client.setNotificationHandler(sdk.ToolListChangedNotificationSchema, async () => {
      if (this.client === client)
        await this.refreshTools().catch((error: unknown) =>
          this.logger.warn(
            { mcpServer: server.name, err: error },
            "agent: the MCP server's tools could not be listed again",
          ),
        );
    });
    try {
      await client.connect(transport, { timeout: this.options.connectTimeoutMs ?? 30_000 });
    } catch (error) {
      await client.close().catch(() => {});
      const said = lastLines.trim().split("\n").slice(-3).join(" | ");
      throw new Error(`${errorText(error)}${said ? ` (it said: ${said})` : ""}`, {
        cause: error,
      });
    }
    return client;
  }

  private async refreshTools(): Promise<void> {
    const client = this.client;
    if (!client) return;
    const listed: McpTool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : undefined, {
        timeout: this.options.connectTimeoutMs ?? 30_000,
      });
      for (const tool of page.tools)
        listed.push({
          server: this.server.name,
          name: tool.name,
          fullName: toolFullName(this.server.name, tool.name),
          description: tool.description ?? tool.title ?? tool.name,
          inputSchema: tool.inputSchema as Record<string, unknown>,
          readOnly: tool.annotations?.readOnlyHint === true,
        });
      cursor = page.nextCursor;
    } while (cursor);
    if (this.client !== client) return;
    this.tools = listed;
    this.logger.info(
      { mcpServer: this.server.name, tools: listed.map((t) => t.name) },
      "agent: MCP tools listed",
    );
    this.options.onToolsChanged?.();
  }

  /** Down: the tools withdrawn, reported the first time, a restart planned with a growing delay. */
  private down(error: unknown): void {
    const client = this.client;
    this.client = undefined;
    void client?.close().catch(() => {});
    const hadTools = this.tools.length > 0;
    this.tools = [];
    if (hadTools) this.options.onToolsChanged?.();
    this.lastError = errorText(error);
    if (this.closed) return;
    if (this.failures === 0)
      this.logger.error(
        { mcpServer: this.server.name, err: { message: this.lastError } },
        "agent: an MCP server failed; its tools are withdrawn until it is back (restarting with backoff)",
      );
    else
      this.logger.debug(
        { mcpServer: this.server.name, failures: this.failures, err: { message: this.lastError } },
        "agent: the MCP server failed again",
      );
    const first = this.options.restartDelayMs ?? 1_000;
    const delay = Math.min(first * 2 ** this.failures, this.options.maxRestartDelayMs ?? 60_000);
    this.failures++;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.start(), delay);
    this.restartTimer.unref();
  }
}

/** The SDK's default inherited variables: given `env`, a server still gets HOME, PATH and the like. */
function defaultEnv(): Record<string, string> {
  const names = ["HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"];
  return Object.fromEntries(
    names.flatMap((n) => (process.env[n] === undefined ? [] : [[n, process.env[n]!]])),
  );
}

interface CallResult {
  content?: ContentItem[];
  structuredContent?: unknown;
  isError?: boolean;
  toolResult?: unknown;
}

type ContentItem =
  | { type: "text"; text: string }
  | { type: "image"; data: string; mimeType: string }
  | { type: "audio"; data: string; mimeType: string }
  | { type: "resource"; resource: { uri: string; text?: string; blob?: string; mimeType?: string } }
  | { type: "resource_link"; uri: string; name?: string }
  | { type: string; [key: string]: unknown };

/** The result as text (images aside), cut to `maxChars` with a note saying so. */
export function resultForModel(result: CallResult, maxChars: number): McpResult {
  const parts: string[] = [];
  const images: McpResult["images"] = [];
  for (const item of result.content ?? []) {
    const it = item as Record<string, unknown>;
    switch (item.type) {
      case "text":
        parts.push(String(it.text ?? ""));
        break;
      case "image":
        images.push({ mimeType: String(it.mimeType), data: String(it.data) });
        parts.push(`[image ${String(it.mimeType)}, ${base64Bytes(String(it.data))} bytes]`);
        break;
      case "resource": {
        const resource = it.resource as { uri: string; text?: string; blob?: string };
        parts.push(
          resource.text !== undefined
            ? `[resource ${resource.uri}]\n${resource.text}`
            : `[resource ${resource.uri}: ${base64Bytes(resource.blob ?? "")} bytes of binary data]`,
        );
        break;
      }
      case "resource_link":
        parts.push(`[link to the resource ${String(it.uri)}]`);
        break;
      default:
        parts.push(`[${item.type} content]`);
    }
  }
  if (parts.length === 0 && result.structuredContent !== undefined)
    parts.push(JSON.stringify(result.structuredContent));
  if (parts.length === 0 && result.toolResult !== undefined)
    parts.push(JSON.stringify(result.toolResult));
  let text = parts.join("\n");
  if (text.length > maxChars) {
    text = `${text.slice(0, maxChars)}\n[cut: the result had ${text.length} characters; only the first ${maxChars} are kept]`;
  }
  return {
    text: result.isError ? `error: ${text}` : text,
    images,
    isError: result.isError === true,
  };
}

function base64Bytes(data: string): number {
  return Math.floor((data.length * 3) / 4);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
