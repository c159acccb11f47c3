/** A node:http server's `host:port` listening and closing, shared by the receiver's and the metrics' listeners. */
import type { Server } from "node:http";
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
export function requireListenOrPublicUrl(options: { listen?: string; publicUrl?: string }, what: string): void {
  if (options.listen || options.publicUrl) return;
  throw new ConfigError(
    `${what} has neither listen nor publicUrl: give listen ("127.0.0.1:3000") for the bot to serve integrations itself, or publicUrl (e.g. "https://example.com/mattermost") where your server mounts its handler`,
  );
}
