/**
 * An OpenAI-compatible model endpoint for the tests — the one test double this project allows,
 * since no model runs here. `POST /chat/completions` with `stream: true` answers in SSE chunks,
 * with the delays, stalls and failures a test asks for; `GET /models` lists the models. Every
 * request is recorded, with whether the client went away before the answer ended.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** How to answer one chat request. */
export interface ModelReply {
  /** Text pieces, one SSE chunk each (default: `["Hello", " there"]`). */
  chunks?: string[];
  /** Before the first chunk (ms). */
  firstDelayMs?: number;
  /** Between chunks (ms). */
  delayMs?: number;
  /** After this many chunks the answer stops sending and never ends (until the client aborts). */
  stallAfter?: number;
  /** Answer with this HTTP status and an OpenAI-style error body instead of a stream. */
  status?: number;
  /** With `status`: the error's message (default by status). */
  errorMessage?: string;
  /** With `status` 429: the `Retry-After` header. */
  retryAfter?: string;
  /** A 400 `context_length_exceeded`, as OpenAI and vLLM say it. */
  contextTooLong?: boolean;
  /** Sends `resetAfter` chunks, then destroys the connection. */
  resetAfter?: number;
  /** Tool calls the model asks for (streamed as `delta.tool_calls`, one chunk each), after the chunks. */
  toolCalls?: { id: string; name: string; arguments: string }[];
  /** Tool-call pieces, one chunk each in this order (after `toolCalls`): calls cut up and interleaved by `index`. */
  toolCallPieces?: ToolCallPiece[];
}

/** One `delta.tool_calls[0]` as a server streams it: any of the fields may be left out. */
export interface ToolCallPiece {
  index?: number;
  id?: string;
  name?: string;
  arguments?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** The parsed JSON body (chat requests). */
  body: {
    model?: string;
    stream?: boolean;
    messages?: { role: string; content: string; name?: string }[];
    [key: string]: unknown;
  };
  /** The client closed the connection before the answer was complete. */
  aborted: boolean;
  /** When the first chunk was written (ms since the epoch). */
  firstChunkAt?: number;
  /** When the answer was complete (ms since the epoch). */
  endedAt?: number;
}

export class OpenAiTestServer {
  readonly requests: RecordedRequest[] = [];
  /** The models `GET /models` lists. */
  models = ["test-model"];
  /** The key required as `Authorization: Bearer …` (unset: any or none). */
  requiredKey: string | undefined;
  private readonly queue: ModelReply[] = [];
  private fallback: (request: RecordedRequest) => ModelReply = () => ({});
  private readonly waiters = new Set<{
    predicate: (r: RecordedRequest) => boolean;
    resolve: (r: RecordedRequest) => void;
  }>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on a free loopback port; `url` ends in `/v1`. */
  static async start(): Promise<OpenAiTestServer> {
    let instance: OpenAiTestServer | undefined;
    const server = createServer((req, res) => void instance?.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    instance = new OpenAiTestServer(server, `http://127.0.0.1:${port}/v1`);
    return instance;
  }

  /** The next chat request gets this answer (queued in order). */
  next(...replies: ModelReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** The answer of requests with nothing queued. */
  otherwise(reply: (request: RecordedRequest) => ModelReply): this {
    this.fallback = reply;
    return this;
  }

  /** Chat requests only, oldest first. */
  get chats(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.endsWith("/chat/completions"));
  }

  /** A recorded request matching `predicate`, now or when it comes. */
  waitForRequest(
    predicate: (r: RecordedRequest) => boolean,
    timeoutMs = 5_000,
  ): Promise<RecordedRequest> {
    const found = this.requests.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (r: RecordedRequest) => (clearTimeout(timer), resolve(r)),
      };
      const timer = setTimeout(
        () => (
          this.waiters.delete(waiter),
          reject(new Error("no such request to the model server in time"))
        ),
        timeoutMs,
      );
      this.waiters.add(waiter);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private notify(record: RecordedRequest): void {
    for (const waiter of this.waiters) {
      if (!waiter.predicate(record)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(record);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = "";
    for await (const chunk of req) raw += String(chunk);
    const path = new URL(req.url ?? "/", "http://x").pathname.replace(/^\/v1/, "");
    const record: RecordedRequest = {
      method: req.method ?? "",
      path,
      headers: req.headers,
      body: raw ? (JSON.parse(raw) as RecordedRequest["body"]) : {},
      aborted: false,
    };
    this.requests.push(record);
    res.on("close", () => {
      if (!res.writableFinished) {
        record.aborted = true;
        this.notify(record);
      }
    });
    this.notify(record);
    if (
      this.requiredKey !== undefined &&
      req.headers.authorization !== `Bearer ${this.requiredKey}`
    ) {
      return sendError(res, 401, "Incorrect API key provided.", "invalid_api_key");
    }
    if (req.method === "GET" && path === "/models") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          object: "list",
          data: this.models.map((id) => ({ id, object: "model", owned_by: "test" })),
        }),
      );
      return;
    }
    if (req.method !== "POST" || path !== "/chat/completions")
      return sendError(res, 404, `no route ${req.method} ${path}`, "not_found");
    const reply = this.queue.shift() ?? this.fallback(record);
    await this.stream(res, record, reply);
  }

  private async stream(
    res: ServerResponse,
    record: RecordedRequest,
    reply: ModelReply,
  ): Promise<void> {
    if (reply.contextTooLong) {
      return sendError(
        res,
        400,
        "This model's maximum context length is 4096 tokens. However, your messages resulted in 9000 tokens.",
        "context_length_exceeded",
      );
    }
    if (reply.status) {
      const headers: Record<string, string> = reply.retryAfter
        ? { "retry-after": reply.retryAfter }
        : {};
      return sendError(
        res,
        reply.status,
        reply.errorMessage ?? `test error ${reply.status}`,
        undefined,
        headers,
      );
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const chunks = reply.chunks ?? ["Hello", " there"];
    const base = {
      id: "chatcmpl-test",
      object: "chat.completion.chunk",
      created: Math.floor(Date.now() / 1000),
      model: record.body.model ?? "",
    };
    const send = (delta: object, finish: string | null = null) =>
      res.write(
        `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
      );
    await sleep(reply.firstDelayMs ?? 0);
    send({ role: "assistant", content: "" });
    for (const [i, chunk] of chunks.entries()) {
      if (res.destroyed) return;
      if (reply.stallAfter === i) return; // never ends: the client must give up or abort
      if (reply.resetAfter === i) return reset(res);
      if (i > 0) await sleep(reply.delayMs ?? 0);
      record.firstChunkAt ??= Date.now();
      send({ content: chunk });
    }
    if (reply.stallAfter !== undefined && reply.stallAfter >= chunks.length) return;
    if (reply.resetAfter !== undefined && reply.resetAfter >= chunks.length) return reset(res);
    for (const [index, call] of (reply.toolCalls ?? []).entries()) {
      send({
        tool_calls: [
          {
            index,
            id: call.id,
            type: "function",
            function: { name: call.name, arguments: call.arguments },
          },
        ],
      });
    }
    for (const piece of reply.toolCallPieces ?? []) {
      const fn = {
        ...(piece.name !== undefined && { name: piece.name }),
        ...(piece.arguments !== undefined && { arguments: piece.arguments }),
      };
      send({
        tool_calls: [
          {
            ...(piece.index !== undefined && { index: piece.index }),
            ...(piece.id !== undefined && { id: piece.id, type: "function" }),
            function: fn,
          },
        ],
      });
    }
    send({}, reply.toolCalls?.length || reply.toolCallPieces?.length ? "tool_calls" : "stop");
    record.endedAt = Date.now();
    res.end("data: [DONE]\n\n");
  }
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  code?: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(
    JSON.stringify({
      error: {
        message,
        type: status === 401 ? "invalid_request_error" : "server_error",
        code: code ?? null,
      },
    }),
  );
}

/** Lets what was written reach the client, then drops the connection. */
async function reset(res: ServerResponse): Promise<void> {
  await sleep(50);
  res.socket?.destroy();
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
