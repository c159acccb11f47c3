/** A node:http server's `host:port` listening and closing, shared by the receiver's and the metrics' listeners. */
import type { Server } from "node:http";
import type { Duplex } from "node:stream";
import { ConfigError } from "../errors.js";

/** `host:port` (`[::1]:3000` for IPv6), or undefined when it is not one. */
export function parseListen(listen: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) return undefined;
  return { host: (match[1] ?? match[2])!, port };
}

/** Listens; resolves with the port bound (port 0 picks one), rejects with the server's error (EADDRINUSE…). */
export async function listenOn(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === "object" && address ? address.port : port;
}

/** Stops listening, closing kept-alive connections at once. */
export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** `host:port` as written in a URL (IPv6 in brackets). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** A receiver must either listen itself or be told where a host server mounts it. */
export function requireListenOrPublicUrl(
  options: { listen?: string; publicUrl?: string },
  what: string,
): void {
  if (options.listen || options.publicUrl) return;
  throw new ConfigError(
    `${what} has neither listen nor publicUrl: give listen ("127.0.0.1:3000") for the bot to serve integrations itself, or publicUrl (e.g. "https://example.com/mattermost") where your server mounts its handler`,
  );
}

/** The status node:http gives a request it cannot parse, by the parser's error code. */
const CLIENT_ERROR_STATUS: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [
    431,
    "Request Header Fields Too Large",
    "the request line and headers are too large (at most 16 KiB)",
  ],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, "Payload Too Large", "the chunk extensions are too large"],
  ERR_HTTP_REQUEST_TIMEOUT: [408, "Request Timeout", "the request did not arrive in time"],
};

/**
 * Answers a request node:http cannot parse (headers too large, broken framing) as the receiver
 * answers its refusals, a JSON `{error}` with the reason, instead of node's bare status line.
 */
export function answerClientErrors(server: Server): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
      socket.destroy(); // the client is gone, or an answer is already under way: writing would corrupt it
      return;
    }
    const [status, phrase, reason] = CLIENT_ERROR_STATUS[error.code ?? ""] ?? [
      400,
      "Bad Request",
      `malformed HTTP request (${error.code ?? "unparsable"})`,
    ];
    const body = JSON.stringify({ error: reason });
    socket.end(
      `HTTP/1.1 ${status} ${phrase}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
