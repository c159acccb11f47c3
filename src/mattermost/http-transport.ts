/**
 * The REST client's default transport: `node:http`/`node:https` over keep-alive agents.
 * Node 20's global `fetch` (undici behind WHATWG streams, an AbortSignal per call) costs several
 * times the CPU of a plain `http.request` for the small JSON calls a bot makes on every reply;
 * this is the same request without that machinery.
 *
 * Keep-alive connections die silently with the path they use (a NAT or proxy that forgot its
 * state): nothing tells the agent, and a request on one waits out its whole timeout. So a
 * connection that timed out takes its idle siblings with it, and the owner can drop the
 * connections of a path found dead elsewhere (the WebSocket's heartbeat): see `dropConnections`.
 */
import http from "node:http";
import https from "node:https";
import type { Socket } from "node:net";

/** What the client needs of an answer; `fetch`'s `Response` fits it too (see `rest.ts`). */
export interface HttpAnswer {
  status: number;
  headers: { get(name: string): string | null };
  text: string;
  /** The body as it came, when asked for as bytes (`text` is then empty). */
  bytes?: Buffer;
}

/** How long one request may wait: for a new connection to open, then for the whole answer. */
export interface RequestTimeouts {
  connectMs: number;
  answerMs: number;
}

/** A request that got no answer within its time: `rest.ts` reports it as "timed out". */
export class RequestTimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** A request whose connection was closed under it because its path was found dead. */
export class ConnectionDroppedError extends Error {
  override readonly name = "ConnectionDroppedError";
}

/** When a connection opened and last heard from the server (ms, Date.now()). */
interface SocketLife {
  openedAt: number;
  heardAt: number;
}

/** One keep-alive agent per protocol and client: connections are reused across requests. */
export class HttpTransport {
  private readonly agent: http.Agent;
  private readonly request: typeof http.request;
  private readonly lives = new WeakMap<Socket, SocketLife>();

  constructor(secure: boolean) {
    // lifo: the most recently used socket is the one least likely to have been closed idle
    this.agent = secure
      ? new https.Agent({ keepAlive: true, scheduling: "lifo" })
      : new http.Agent({ keepAlive: true, scheduling: "lifo" });
    this.request = secure ? https.request : http.request;
  }

  /**
   * Sends one request with a string body (or none); rejects on network failure, when a new
   * connection is not open within `connectMs`, or when the answer is not in `answerMs` after.
   * `asBytes`: the body is kept as bytes, not decoded (a file's content).
   */
  send(
    method: string,
    url: string,
    headers: Record<string, string>,
    body: string | undefined,
    timeouts: RequestTimeouts,
    asBytes = false,
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(body));
      let socket: Socket | undefined;
      let timer: NodeJS.Timeout | undefined;
      const req = this.request(url, { method, headers, agent: this.agent }, (res) => {
        this.heard(socket);
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          this.heard(socket); // a long answer still coming is alive, whatever its headers' age
        });
        res.on("error", fail);
        res.on("end", () => {
          clearTimeout(timer);
          this.heard(socket);
          const whole = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            headers: { get: (name) => headerValue(res.headers[name.toLowerCase()]) },
            text: asBytes ? "" : whole.toString("utf8"),
            bytes: asBytes ? whole : undefined,
          });
        });
      });
      const waitForAnswer = () => {
        timer = setTimeout(() => {
          // a connection that carries nothing says its path may be dead: its idle siblings went the same way
          this.dropConnections();
          req.destroy(new RequestTimeoutError(`no answer within ${timeouts.answerMs} ms`));
        }, timeouts.answerMs);
      };
      req.on("socket", (s: Socket) => {
        socket = s;
        if (!this.lives.has(s)) this.lives.set(s, { openedAt: Date.now(), heardAt: 0 });
        if (!s.connecting) return waitForAnswer();
        timer = setTimeout(
          () =>
            req.destroy(new RequestTimeoutError(`no connection within ${timeouts.connectMs} ms`)),
          timeouts.connectMs,
        );
        s.once("connect", () => {
          clearTimeout(timer);
          waitForAnswer();
        });
      });
      function fail(error: Error): void {
        clearTimeout(timer);
        reject(error);
      }
      req.on("error", fail);
      req.end(body); // headers and a string body leave in one write
    });
  }

  /**
   * Closes every idle keep-alive connection, so the next requests open fresh ones. With
   * `quietSince`, also those with a request in flight that opened before it and heard nothing
   * from the server since (their requests fail at once, as network errors, and are retried).
   * For a path found dead: connections that went over it are dead too, and nobody tells them.
   */
  dropConnections(options: { quietSince?: number } = {}): void {
    for (const sockets of Object.values(this.agent.freeSockets))
      for (const socket of sockets ?? []) socket.destroy();
    const since = options.quietSince;
    if (since === undefined) return;
    for (const sockets of Object.values(this.agent.sockets)) {
      for (const socket of sockets ?? []) {
        const life = this.lives.get(socket);
        if (life && life.openedAt < since && life.heardAt < since)
          socket.destroy(new ConnectionDroppedError("the connection's path was found dead"));
      }
    }
  }

  private heard(socket: Socket | undefined): void {
    const life = socket && this.lives.get(socket);
    if (life) life.heardAt = Date.now();
  }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}
