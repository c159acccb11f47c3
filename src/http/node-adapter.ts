/** The receiver as a node:http `(req, res)` handler: for mmbot's own listener and any server built on node:http. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { IntegrationEndpoint, PlainRequest, PlainResponse } from "./integration-endpoint.js";
import { relativePath } from "./routes.js";

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

const TOO_LARGE = Symbol("too large");

/** `mountPath`: the public URL's path, stripped from requests that still carry it. */
export function toNodeHandler(endpoint: IntegrationEndpoint, mountPath: string): NodeHandler {
  return (req, res) => {
    const url = req.url ?? "/";
    const mark = url.indexOf("?");
    const method = req.method ?? "GET";
    const request: Omit<PlainRequest, "body"> = {
      method,
      path: relativePath(method, mark < 0 ? url : url.slice(0, mark), mountPath),
      query: mark < 0 ? "" : url.slice(mark + 1),
      headers: req.headers,
      remote: req.socket.remoteAddress,
    };
    readBody(req, endpoint.bodyLimitBytes)
      .then((body) =>
        body === TOO_LARGE
          ? endpoint.refusal(request, 413, "the body is too large")
          : endpoint.handle({ ...request, body }),
      )
      .then(
        (answer) => send(res, answer),
        (error: unknown) =>
          isClientGone(req) ? res.destroy() : send(res, endpoint.failure(request, error)),
      );
  };
}

/** The body, up to `limit` bytes; past it the rest is discarded unread and the connection closed after the 413. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  if (req.readableEnded)
    return Promise.reject(
      new Error(
        "the request body was already read (a body parser mounted before the mmbot handler?): mount the handler first, or on a path no body parser sees",
      ),
    );
  const declared = Number(req.headers["content-length"]);
  if (declared > limit) {
    req.resume();
    return Promise.resolve(TOO_LARGE);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      if (size > limit) resolve(TOO_LARGE);
      else chunks.push(chunk);
    });
    req.once("end", () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
}

function send(res: ServerResponse, answer: PlainResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = {
    ...answer.headers,
    "content-length": Buffer.byteLength(answer.body),
  };
  if (answer.status === 413) headers.connection = "close"; // the rest of the body is not worth reading
  res.writeHead(answer.status, headers).end(answer.body);
}

function isClientGone(req: IncomingMessage): boolean {
  return req.destroyed && !req.readableEnded;
}
