/**
 * `/api/v4/websocket`: authentication (upgrade header or `authentication_challenge`), `hello`,
 * client actions, keep-alive pings and the reliable resume of connections authenticated on the
 * upgrade request.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { ERRORS, errorBody, type ErrorSpec } from "./errors.js";
import { Connection, type Hub } from "./hub.js";
import { isValidId, newId } from "./ids.js";
import type { Faults } from "./faults.js";
import type { Posting } from "./posting.js";
import { target, type World } from "./world.js";
import { parseJson } from "./json.js";

export const WEBSOCKET_PATH = "/api/v4/websocket";
/** model.SocketMaxMessageSizeKb: the read limit of the server (8 * 1024 bytes, despite its name); a bigger frame from a client closes the socket with 1009. */
const SOCKET_MAX_MESSAGE_BYTES = 8 * 1024;

export interface WebSocketOptions {
  /** Close sockets that have not authenticated within this time (the server: 5 s). */
  authTimeoutMs: number;
  pingIntervalMs: number;
  pongWaitMs: number;
  /**
   * `ServiceSettings.EnableReliableWebSockets`. Off (the 5.37 default): `hello` carries an empty
   * `connection_id` and a reconnect is a new connection, whatever its query says.
   */
  reliable: boolean;
  /** `model.CurrentVersion`, as the `ping` reply carries it. */
  currentVersion: string;
  /** `hello`'s `server_version` and the `X-Version-Id` of a refused upgrade. */
  versionId: string;
}

interface ClientAction {
  seq?: unknown;
  action?: unknown;
  data?: Record<string, unknown>;
}

const actionError = (id: string, message: string, status: number): ErrorSpec => ({
  id,
  message,
  status,
});
const WS_ERRORS = {
  noAction: actionError("api.web_socket_router.no_action.app_error", "No websocket action.", 400),
  badSeq: actionError(
    "api.web_socket_router.bad_seq.app_error",
    "Invalid sequence for WebSocket message.",
    400,
  ),
  notAuthenticated: actionError(
    "api.web_socket_router.not_authenticated.app_error",
    "Connection is not authenticated. Please log in and try again.",
    401,
  ),
  badAction: actionError(
    "api.web_socket_router.bad_action.app_error",
    "Unknown WebSocket action.",
    501,
  ),
  invalidParam: (name: string) =>
    actionError("api.websocket_handler.invalid_param.app_error", `Invalid ${name} parameter.`, 400),
};

export class WebSocketEndpoint {
  available = true;
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: SOCKET_MAX_MESSAGE_BYTES,
  });
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly world: World,
    private readonly hub: Hub,
    private readonly posting: Posting,
    private readonly options: WebSocketOptions,
    private readonly faults: Faults,
  ) {
    this.pinger = setInterval(() => this.ping(), options.pingIntervalMs);
    this.pinger.unref();
  }

  /** The `upgrade` listener of the HTTP server. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // past the upgrade event the HTTP server no longer listens for the socket's errors: a peer that
    // resets it while it is refused (a proxy cutting the path) would throw out of the process
    socket.on("error", () => socket.destroy());
    const url = new URL(request.url ?? "/", "http://sandbox");
    if (url.pathname !== WEBSOCKET_PATH)
      return refuse(
        socket,
        this.options.versionId,
        ERRORS.notFoundRoute,
        `There doesn't appear to be an api call for the url='${url.pathname}'.`,
      );
    const fault = this.faults.upgradeFault(request, socket);
    if (fault === "cut" || fault === "limited") return;
    if (!this.available || fault === "refused")
      return refuse(socket, this.options.versionId, ERRORS.websocketUnavailable);
    const header = request.headers.authorization;
    let userId: string | undefined;
    let token: string | undefined;
    if (header) {
      token = /^(?:bearer|token)\s+(\S+)$/i.exec(header)?.[1];
      userId = token === undefined ? undefined : this.world.userIdForToken(token);
      if (!userId) return refuse(socket, this.options.versionId, ERRORS.sessionExpired);
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      // a frame that breaks the protocol (too big, bad opcode, invalid UTF-8): ws has sent the close
      // code and ends the socket; with no listener its error would be thrown and end the process
      ws.on("error", () => ws.terminate());
      if (userId) this.openWithHeader(ws, userId, token!, url.searchParams);
      else this.awaitChallenge(ws);
    });
  }

  close(): void {
    clearInterval(this.pinger);
    this.hub.close();
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private openWithHeader(
    ws: WebSocket,
    userId: string,
    token: string,
    query: URLSearchParams,
  ): void {
    if (!this.options.reliable) return this.start(ws, this.connection(userId, token, false, ws));
    const previous = this.hub.byId.get(query.get("connection_id") ?? "");
    const sequence = Number(query.get("sequence_number"));
    const replay =
      previous && previous.userId === userId && previous.resumable
        ? previous.framesFrom(sequence)
        : undefined;
    if (previous && replay) {
      clearTimeout(previous.deadTimer);
      previous.socket?.terminate();
      previous.socket = ws;
      previous.authorized = this.stillAccepted(token);
      previous.silent = false;
      previous.lastPongAt = Date.now();
      this.attach(ws, previous);
      for (const frame of replay) ws.send(frame);
      this.hub.setOnline(userId);
      return;
    }
    this.start(ws, this.connection(userId, token, true, ws));
  }

  private awaitChallenge(ws: WebSocket): void {
    const timer = setTimeout(() => ws.close(), this.options.authTimeoutMs);
    ws.on("close", () => clearTimeout(timer));
    ws.on("message", (raw) => {
      if (ws.listenerCount("message") > 1) return; // authenticated: the connection's handler answers
      const message = parse(raw);
      if (!message) return;
      const seq = message.seq;
      if (message.action !== "authentication_challenge") {
        return reply(
          ws,
          seq,
          undefined,
          typeof message.action === "string" && message.action
            ? WS_ERRORS.notAuthenticated
            : WS_ERRORS.noAction,
        );
      }
      const token = message.data?.token;
      const userId = typeof token === "string" ? this.world.userIdForToken(token) : undefined;
      if (!userId) return void ws.close(); // what the server does with a bad token
      clearTimeout(timer);
      this.start(ws, this.connection(userId, token as string, false, ws), seq);
    });
  }

  private connection(userId: string, token: string, resumable: boolean, ws: WebSocket): Connection {
    const connection = new Connection(newId(), userId, resumable, ws);
    connection.authorized = this.stillAccepted(token);
    return connection;
  }

  private stillAccepted(token: string): () => boolean {
    return () => this.world.userIdForToken(token) !== undefined;
  }

  /** A new connection: hello (seq 0), the challenge's reply if any, then `status_change`. */
  private start(ws: WebSocket, connection: Connection, challengeSeq?: unknown): void {
    this.hub.register(connection);
    this.attach(ws, connection);
    this.hub.sendOnly(connection, {
      event: "hello",
      data: {
        connection_id: this.options.reliable ? connection.id : "",
        server_version: this.options.versionId,
      },
      broadcast: target({ user_id: connection.userId }),
    });
    if (challengeSeq !== undefined) reply(ws, challengeSeq);
    this.hub.setOnline(connection.userId);
  }

  private attach(ws: WebSocket, connection: Connection): void {
    ws.on("pong", () => (connection.lastPongAt = Date.now()));
    ws.on("close", () => {
      if (connection.socket === ws) this.hub.disconnected(connection);
    });
    ws.on("message", (raw) => {
      const message = parse(raw);
      if (message) this.act(ws, connection, message);
    });
  }

  private act(ws: WebSocket, connection: Connection, message: ClientAction): void {
    const { seq, action } = message;
    const data = message.data ?? {};
    if (typeof action !== "string" || action === "")
      return reply(ws, seq, undefined, WS_ERRORS.noAction);
    if (typeof seq !== "number" || seq <= 0) return reply(ws, seq, undefined, WS_ERRORS.badSeq);
    switch (action) {
      case "authentication_challenge":
        return; // already authenticated: the server ignores it
      case "user_typing": {
        const channelId = typeof data.channel_id === "string" ? data.channel_id : "";
        if (!this.world.member(channelId, connection.userId))
          return reply(ws, seq, undefined, WS_ERRORS.invalidParam("channel_id"));
        this.posting.typing(
          connection.userId,
          channelId,
          typeof data.parent_id === "string" ? data.parent_id : "",
        );
        return reply(ws, seq);
      }
      case "ping":
        // the server's wsapi/system.go answer (Go sorts map keys)
        return reply(ws, seq, {
          node_id: "",
          server_time: Date.now(),
          text: "pong",
          version: this.options.currentVersion,
        });
      case "get_statuses": {
        const statuses: Record<string, string> = {};
        for (const id of this.hub.onlineUserIds()) statuses[id] = "online";
        return reply(ws, seq, statuses);
      }
      case "get_statuses_by_ids": {
        const ids = data.user_ids;
        if (!Array.isArray(ids) || ids.length === 0 || !ids.every(isValidId))
          return reply(ws, seq, undefined, WS_ERRORS.invalidParam("user_ids"));
        const statuses: Record<string, string> = {};
        for (const id of ids) statuses[id] = this.hub.isOnline(id) ? "online" : "offline";
        return reply(ws, seq, statuses);
      }
      default:
        return reply(ws, seq, undefined, WS_ERRORS.badAction);
    }
  }

  /** Server keep-alive: ping every interval, drop sockets silent for longer than the pong wait. */
  private ping(): void {
    const now = Date.now();
    for (const connection of this.hub.sockets()) {
      if (now - connection.lastPongAt > this.options.pongWaitMs) connection.socket?.terminate();
      else if (!connection.silent) connection.socket?.ping();
    }
  }
}

function parse(raw: unknown): ClientAction | undefined {
  try {
    const value: unknown = parseJson(String(raw));
    return typeof value === "object" && value !== null ? (value as ClientAction) : undefined;
  } catch {
    return undefined;
  }
}

/** `{"status":"OK","seq_reply":N[,"data":...]}` or `{"status":"FAIL","seq_reply":N,"error":{...}}`. */
function reply(
  ws: WebSocket,
  seq: unknown,
  data?: Record<string, unknown>,
  error?: ErrorSpec,
): void {
  const body: Record<string, unknown> = {
    status: error ? "FAIL" : "OK",
    seq_reply: typeof seq === "number" ? seq : 0,
  };
  if (data) body.data = data;
  if (error)
    body.error = {
      id: error.id,
      message: error.message,
      detailed_error: "",
      status_code: error.status,
    };
  if (ws.readyState === 1) ws.send(`${JSON.stringify(body)}\n`);
}

/** Answers an upgrade request with an HTTP error and the JSON error body. */
function refuse(socket: Duplex, versionId: string, spec: ErrorSpec, detailedError = ""): void {
  const requestId = newId();
  const body = JSON.stringify(errorBody(spec, requestId, detailedError));
  socket.end(
    `HTTP/1.1 ${spec.status} ${STATUS_TEXT[spec.status] ?? "Error"}\r\n` +
      `Content-Type: application/json\r\nX-Request-Id: ${requestId}\r\nX-Version-Id: ${versionId}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  401: "Unauthorized",
  404: "Not Found",
  503: "Service Unavailable",
};
