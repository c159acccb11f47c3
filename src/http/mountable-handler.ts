/** The receiver's mountable shape, and a stand-in to mount before the receiver exists. */
import type { FetchHandler } from "./fetch-adapter.js";
import type { NodeHandler } from "./node-adapter.js";

/** The receiver's two ways in, for mounting it at a path of an existing server. */
export interface HttpHandler {
  /** node:http `(req, res)`: plain node:http, Express, Fastify (`reply.hijack()`), Koa (`ctx.req, ctx.res`). */
  node: NodeHandler;
  /** `(Request) => Promise<Response>`: Hono, Bun, Deno, edge runtimes. */
  fetch: FetchHandler;
}

/**
 * A handler to mount before the receiver exists (a bot builds it on `start()`): it passes each
 * request to the receiver `current()` returns, and answers 503 with a reason while there is none.
 */
export function lateHttpHandler(
  current: () => HttpHandler | undefined,
  notReady: string,
): HttpHandler {
  const body = JSON.stringify({ error: notReady });
  const headers = { "content-type": "application/json; charset=utf-8" };
  return {
    node: (req, res) => {
      const receiver = current();
      if (receiver) return receiver.node(req, res);
      req.resume();
      res.writeHead(503, { ...headers, "content-length": Buffer.byteLength(body) }).end(body);
    },
    fetch: async (request) => {
      const receiver = current();
      if (receiver) return receiver.fetch(request);
      await request.body?.cancel();
      return new Response(body, { status: 503, headers });
    },
  };
}
