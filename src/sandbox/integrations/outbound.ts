/**
 * The server's HTTP client for integrations (`services/httpservice`): it calls slash commands,
 * outgoing webhooks, action and dialog URLs with `User-Agent: Mattermost-Bot/1.1` and gives up
 * after a timeout (30 s in 5.37; tests make it short).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { TrafficKind, TrafficLog } from "../traffic.js";

/** The server reads at most this much of an integration's answer (`MaxIntegrationResponseSize`). */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface OutboundRequest {
  /** What the call is for, in the traffic log. */
  kind: Exclude<TrafficKind, "api">;
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** What the integration answered; `status` as Go prints it, e.g. "500 Internal Server Error". */
export interface OutboundResponse {
  ok: true;
  statusCode: number;
  status: string;
  contentType: string;
  body: string;
}

/** The integration could not be reached or did not answer in time; `error` says why. */
export interface OutboundFailure {
  ok: false;
  error: string;
}

export class IntegrationClient {
  private readonly open = new Set<ClientRequest>();

  constructor(
    private readonly timeoutMs: number,
    private readonly traffic?: TrafficLog,
  ) {}

  /** Ends every call still waiting for its integration (the sandbox is closing). */
  close(): void {
    for (const req of this.open) req.destroy(new Error("the sandbox is closing"));
  }

  /** Calls the integration and records the call in the traffic log. */
  async send(outbound: OutboundRequest): Promise<OutboundResponse | OutboundFailure> {
    const at = Date.now();
    const answer = await this.call(outbound);
    this.traffic?.record({
      kind: outbound.kind,
      direction: "out",
      at,
      method: outbound.method,
      url: outbound.url,
      status: answer.ok ? answer.statusCode : 0,
      durationMs: Date.now() - at,
      ...(answer.ok ? { responseBody: answer.body } : { error: answer.error }),
      ...(outbound.body !== undefined && { requestBody: outbound.body }),
    });
    return answer;
  }

  private call(outbound: OutboundRequest): Promise<OutboundResponse | OutboundFailure> {
    let url: URL;
    try {
      url = new URL(outbound.url);
    } catch {
      return Promise.resolve({ ok: false, error: `parse "${outbound.url}": invalid URL` });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return Promise.resolve({
        ok: false,
        error: `unsupported protocol scheme "${url.protocol.replace(":", "")}"`,
      });
    }
    const headers: Record<string, string> = {
      "User-Agent": "Mattermost-Bot/1.1",
      ...outbound.headers,
    };
    if (outbound.body !== undefined)
      headers["Content-Length"] = String(Buffer.byteLength(outbound.body));
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve) => {
      const failed = (error: string) =>
        resolve({ ok: false, error: `${outbound.method} ${outbound.url}: ${error}` });
      const req = send(
        url,
        { method: outbound.method, headers, timeout: this.timeoutMs },
        (res) => {
          readLimited(res).then(
            (body) =>
              resolve({
                ok: true,
                statusCode: res.statusCode ?? 0,
                status: `${res.statusCode} ${res.statusMessage ?? ""}`.trim(),
                contentType: res.headers["content-type"] ?? "",
                body,
              }),
            (error: Error) => failed(error.message),
          );
        },
      );
      // the socket timeout is an idle timeout; the server's client has a total one: both end the call
      const deadline = setTimeout(
        () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.on("timeout", () => req.destroy(new Error(`timeout after ${this.timeoutMs} ms`)));
      req.on("error", (error) => failed(error.message));
      this.open.add(req);
      req.on("close", () => {
        clearTimeout(deadline);
        this.open.delete(req);
      });
      req.end(outbound.body);
    });
  }
}

function readLimited(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      if (size >= MAX_RESPONSE_BYTES) return;
      chunks.push(chunk);
      size += chunk.length;
    });
    res.on("end", () =>
      resolve(Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString("utf8")),
    );
    res.on("error", reject);
  });
}

/** `url.Values.Encode()`: keys sorted, Go's `QueryEscape` (space as `+`, only `-_.~` left as is). */
export function goFormEncode(values: Record<string, string>): string {
  const escape = (text: string) =>
    encodeURIComponent(text)
      .replace(/%20/g, "+")
      .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.keys(values)
    .sort()
    .map((key) => `${escape(key)}=${escape(values[key]!)}`)
    .join("&");
}
