/**
 * One streamed chat completion from an OpenAI-compatible endpoint (`POST {url}/chat/completions`
 * with `stream: true`): the text pieces as they come, or a `ModelError` that says why not. No
 * progress for `timeoutMs` (no first token, or none since the last) fails as timed out.
 */
import { ModelError, StoppedError } from "./model-error.js";
import { sseData } from "./sse.js";

export type ChatMessage =
  | { role: "system" | "assistant"; content: string }
  | { role: "user"; content: string | ContentPart[] }
  | { role: "assistant"; content: string | null; tool_calls: ToolCall[] }
  | { role: "tool"; tool_call_id: string; content: string };

/** A part of a user turn with images (OpenAI's chat format, which the compatible servers take). */
export type ContentPart = { type: "text"; text: string } | ImagePart;

/** An image, as a `data:` URL (`data:image/png;base64,…`). */
export interface ImagePart {
  type: "image_url";
  image_url: { url: string };
}

/** A call the model asks for, as the API spells it. */
export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** A tool as the request announces it. */
export interface ToolSpec {
  type: "function";
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

/** What a stream gives: text as it comes, and at the end the tool calls asked for (if any). */
export type ChatEvent = { text: string } | { toolCalls: ToolCall[] };

export interface ModelEndpoint {
  /** The base URL, e.g. `http://127.0.0.1:8080/v1`. */
  url: string;
  model: string;
  /** Sent as `Authorization: Bearer …`; absent: no header. */
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  timeoutMs: number;
  fetch?: typeof fetch;
}

export async function* streamChat(
  endpoint: ModelEndpoint,
  messages: ChatMessage[],
  signal: AbortSignal,
  tools: ToolSpec[] = [],
): AsyncGenerator<ChatEvent> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener("abort", stop);
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, endpoint.timeoutMs);
  };
  arm();
  let answered = false;
  try {
    const body = {
      model: endpoint.model,
      messages,
      stream: true,
      temperature: endpoint.temperature,
      max_tokens: endpoint.maxTokens,
      tools: tools.length ? tools : undefined,
    };
    const response = await (endpoint.fetch ?? fetch)(`${baseUrl(endpoint.url)}/chat/completions`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        ...authorization(endpoint.apiKey),
      },
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!response.ok) throw await failureOf(response);
    if (!response.body) throw new ModelError("provider", "the endpoint answered without a body");
    answered = true;
    const calls: ToolCall[] = [];
    for await (const data of sseData(response.body)) {
      arm();
      if (data === "[DONE]") break;
      const event = parseEvent(data);
      if (event.error)
        throw new ModelError(
          isContextMessage(event.error.message) ? "context" : "provider",
          `the stream carried an error: ${event.error.message ?? "?"}`,
        );
      const delta = event.choices?.[0]?.delta;
      if (delta?.content) yield { text: delta.content };
      for (const part of delta?.tool_calls ?? []) addToolCallDelta(calls, part);
    }
    const asked = calls.filter((call) => call !== undefined); // indexes need not start at 0
    if (asked.length) yield { toolCalls: asked };
  } catch (error) {
    if (signal.aborted) throw new StoppedError();
    if (timedOut)
      throw new ModelError(
        "timeout",
        `no progress for ${endpoint.timeoutMs} ms`,
        {},
        { cause: error },
      );
    if (error instanceof ModelError) throw error;
    const why =
      error instanceof Error
        ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}`
        : String(error);
    throw new ModelError(
      answered ? "provider" : "unreachable",
      answered ? `the stream broke off: ${why}` : `cannot reach the endpoint: ${why}`,
      {},
      { cause: error },
    );
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
    controller.abort(); // a consumer that stopped early leaves no open body
  }
}

/** `GET {url}/models`: the ids listed, or a `ModelError` (for `mmbot doctor`). */
export async function listModels(
  endpoint: Pick<ModelEndpoint, "url" | "apiKey" | "fetch">,
  timeoutMs = 10_000,
): Promise<string[]> {
  let response: Response;
  try {
    response = await (endpoint.fetch ?? fetch)(`${baseUrl(endpoint.url)}/models`, {
      headers: authorization(endpoint.apiKey),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new ModelError(
      "unreachable",
      `cannot reach ${baseUrl(endpoint.url)}/models: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`,
    );
  }
  if (!response.ok) throw await failureOf(response);
  const body = (await response.json().catch(() => ({}))) as { data?: { id?: unknown }[] };
  return (body.data ?? []).map((m) => String(m.id));
}

function baseUrl(url: string): string {
  return url.replace(/\/+$/, "");
}

function authorization(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

interface ToolCallDelta {
  index?: number;
  id?: string;
  function?: { name?: string; arguments?: string };
}

interface StreamEvent {
  choices?: { delta?: { content?: string | null; tool_calls?: ToolCallDelta[] } }[];
  error?: { message?: string };
}

/**
 * A tool call comes in pieces by `index`, calls interleaved: the id and name first (some servers
 * cut them too, some repeat them in every piece), the arguments in parts. A piece without an
 * index belongs to the last call unless it brings a new id.
 */
function addToolCallDelta(calls: ToolCall[], part: ToolCallDelta): void {
  const last = calls.length - 1;
  const index =
    part.index ??
    (last < 0 || (part.id && calls[last]?.id && part.id !== calls[last].id) ? calls.length : last);
  const call = (calls[index] ??= {
    id: "",
    type: "function",
    function: { name: "", arguments: "" },
  });
  if (part.id) call.id = joinPiece(call.id, part.id);
  if (part.function?.name) call.function.name = joinPiece(call.function.name, part.function.name);
  if (part.function?.arguments) call.function.arguments += part.function.arguments;
}

/** An id or name so far and its next piece: a repeat of the whole is not added twice. */
function joinPiece(sofar: string, piece: string): string {
  return sofar === piece ? sofar : sofar + piece;
}

function parseEvent(data: string): StreamEvent {
  try {
    return JSON.parse(data) as StreamEvent;
  } catch {
    throw new ModelError(
      "provider",
      `the stream carried something other than JSON: ${data.slice(0, 100)}`,
    );
  }
}

const CONTEXT_WORDS =
  /context[ _-]length|maximum context|context window|too many tokens|prompt is too long/i;

function isContextMessage(message: string | undefined): boolean {
  return CONTEXT_WORDS.test(message ?? "");
}

/** The error a non-2xx answer stands for. */
async function failureOf(response: Response): Promise<ModelError> {
  const text = await response.text().catch(() => "");
  let message = text.slice(0, 300);
  let code = "";
  try {
    const body = JSON.parse(text) as {
      error?: { message?: string; code?: string } | string;
      message?: string;
    };
    if (typeof body.error === "string") message = body.error;
    else {
      message = body.error?.message ?? body.message ?? message;
      code = body.error?.code ?? "";
    }
  } catch {
    // not JSON: keep the text
  }
  const status = response.status;
  const what = `HTTP ${status}: ${message}`;
  if (
    code === "context_length_exceeded" ||
    ((status === 400 || status === 413) && isContextMessage(message))
  )
    return new ModelError("context", what, { status });
  if (status === 401 || status === 403) return new ModelError("key", what, { status });
  if (status === 404) return new ModelError("model", what, { status });
  if (status === 429)
    return new ModelError("rate", what, {
      status,
      retryAfterSeconds: retryAfter(response.headers.get("retry-after")),
    });
  if (status >= 500) return new ModelError("provider", what, { status });
  return new ModelError("refused", what, { status });
}

/** `Retry-After` as seconds (a number or an HTTP date). */
function retryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}
