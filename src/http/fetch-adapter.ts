/** The receiver as a web-standard `(Request) => Promise<Response>` handler: Hono, Bun, Deno, workers, Next.js route handlers. */
import type { IntegrationEndpoint, PlainRequest, PlainResponse } from "./integration-endpoint.js";
import { relativePath } from "./routes.js";

export type FetchHandler = (request: Request) => Promise<Response>;

const TOO_LARGE = Symbol("too large");

/** `mountPath`: the public URL's path, stripped from requests that still carry it. */
export function toFetchHandler(endpoint: IntegrationEndpoint, mountPath: string): FetchHandler {
  return async (incoming) => {
    const url = new URL(incoming.url);
    const method = incoming.method;
    const request: Omit<PlainRequest, "body"> = {
      method,
      path: relativePath(method, url.pathname, mountPath),
      query: url.search.slice(1),
      headers: Object.fromEntries(incoming.headers),
    };
    let answer: PlainResponse;
    try {
      const body = await readBody(incoming, endpoint.bodyLimitBytes);
      answer =
        body === TOO_LARGE
          ? endpoint.refusal(request, 413, "the body is too large")
          : await endpoint.handle({ ...request, body });
    } catch (error) {
      answer = endpoint.failure(request, error);
    }
    return new Response(method === "HEAD" ? null : answer.body, {
      status: answer.status,
      headers: answer.headers,
    });
  };
}

/** The body, up to `limit` bytes; past it the stream is cancelled. */
async function readBody(request: Request, limit: number): Promise<Uint8Array | typeof TOO_LARGE> {
  if (request.bodyUsed)
    throw new Error(
      "the request body was already read (by a middleware before the mmbot handler?): hand the handler an unread Request",
    );
  if (Number(request.headers.get("content-length")) > limit) {
    await request.body?.cancel();
    return TOO_LARGE;
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return TOO_LARGE;
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}
