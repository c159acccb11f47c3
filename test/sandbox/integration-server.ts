/**
 * The other end of an HTTP integration, for tests: a real HTTP server on 127.0.0.1 that records
 * every request the sandbox sends it and answers as the test says (by path).
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { FIXTURES } from "./shape.js";

export interface ReceivedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body as a form (`application/x-www-form-urlencoded`) or JSON; `{}` when empty. */
  parsedBody: Record<string, unknown>;
}

export interface IntegrationAnswer {
  status?: number;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  contentType?: string;
}

type Responder = (request: ReceivedRequest) => IntegrationAnswer | "hang";

export class IntegrationServer {
  readonly requests: ReceivedRequest[] = [];
  private readonly responders = new Map<string, Responder>();
  private waiters: Array<{ path: string; resolve: (r: ReceivedRequest) => void }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<IntegrationServer> {
    let self: IntegrationServer | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () =>
        self!.handle(
          req.method ?? "",
          req.url ?? "/",
          req.headers,
          Buffer.concat(chunks).toString("utf8"),
          res,
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    self = new IntegrationServer(
      server,
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    );
    return self;
  }

  /** How to answer requests to `path` (default: 200 `{}`); "hang" never answers. */
  answer(path: string, responder: Responder | IntegrationAnswer): void {
    this.responders.set(path, typeof responder === "function" ? responder : () => responder);
  }

  /** The next request to `path` not yet taken, or the one to come. */
  next(path: string): Promise<ReceivedRequest> {
    const index = this.requests.findIndex((r) => r.path === path);
    if (index >= 0) return Promise.resolve(this.requests.splice(index, 1)[0]!);
    return new Promise((resolve) => this.waiters.push({ path, resolve }));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(
    method: string,
    rawUrl: string,
    headers: IncomingHttpHeaders,
    rawBody: string,
    res: import("node:http").ServerResponse,
  ): void {
    const url = new URL(rawUrl, this.url);
    const type = headers["content-type"] ?? "";
    let parsedBody: Record<string, unknown> = {};
    if (type.startsWith("application/x-www-form-urlencoded"))
      parsedBody = Object.fromEntries(new URLSearchParams(rawBody));
    else if (rawBody) parsedBody = JSON.parse(rawBody) as Record<string, unknown>;
    const request: ReceivedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      rawBody,
      parsedBody,
    };
    const waiter = this.waiters.find((w) => w.path === request.path);
    if (waiter) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve(request);
    } else this.requests.push(request);
    const responder: Responder = this.responders.get(request.path) ?? (() => ({ body: {} }));
    const answer = responder(request);
    if (answer === "hang") return;
    const body = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? {});
    res.writeHead(answer.status ?? 200, {
      "Content-Type":
        answer.contentType ?? (typeof answer.body === "string" ? "text/plain" : "application/json"),
    });
    res.end(body);
  }
}

/** A recorded integration exchange (fixtures/integrations/NAME.json). */
export function loadIntegration<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, "integrations", `${name}.json`), "utf8")) as T;
}

/** The keys of a form body in the order they were sent. */
export function formKeys(raw: string): string[] {
  return raw === "" ? [] : raw.split("&").map((pair) => decodeURIComponent(pair.split("=")[0]!));
}

/** `clientTriggerId:userId:millis:signature` inside a signed trigger id. */
export function decodeTriggerId(triggerId: string): string[] {
  return Buffer.from(triggerId, "base64").toString("utf8").split(":");
}
