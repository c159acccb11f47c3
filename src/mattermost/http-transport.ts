/**
 * The REST client's default transport: `node:http`/`node:https` over keep-alive agents.
 * Node 20's global `fetch` (undici behind WHATWG streams, an AbortSignal per call) costs several
 * times the CPU of a plain `http.request` for the small JSON calls a bot makes on every reply;
 * this is the same request without that machinery.
 */
import http from "node:http";
import https from "node:https";

/** What the client needs of an answer; `fetch`'s `Response` fits it too (see `rest.ts`). */
export interface HttpAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
}

/** A request that got no answer within its time: `rest.ts` reports it as "timed out". */
export class RequestTimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** One keep-alive agent per protocol and client: connections are reused across requests. */
export class HttpTransport {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;

  constructor(secure: boolean) {
    // lifo: the most recently used socket is the one least likely to have been closed idle
    this.agent = secure ? new https.Agent({ keepAlive: true, scheduling: "lifo" }) : new http.Agent({ keepAlive: true, scheduling: "lifo" });
    this.request = secure ? https.request : http.request;
  }

  /** Sends one request with a string body (or none); rejects on network failure or after `timeoutMs`. */
  send(method: string, url: string, headers: Record<string, string>, body: string | undefined, timeoutMs: number): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(body));
      const req = this.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", fail);
        res.on("end", () => {
          clearTimeout(timer);
          const text = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: { get: (name) => headerValue(res.headers[name.toLowerCase()]) }, text });
        });
      });
      const timer = setTimeout(() => req.destroy(new RequestTimeoutError(`no answer within ${timeoutMs} ms`)), timeoutMs);
      function fail(error: Error): void {
        clearTimeout(timer);
        reject(error);
      }
      req.on("error", fail);
      req.end(body); // headers and a string body leave in one write
    });
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}
