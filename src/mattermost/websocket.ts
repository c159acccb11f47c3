/**
 * The WebSocket receiver: connects with the token on the upgrade (so resume works), resumes
 * after a drop, detects deaf sockets, reconnects forever with backoff, and says when the server
 * could not replay what was missed (`onMissed`: the owner catches up over REST,
 * `src/sources/catch-up.ts`). Emits each post once.
 */
import WebSocket, { type RawData } from "ws";
import { isTokenRefusal, TokenRefusedError, TransportError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { Backoff } from "./backoff.js";
import { RecentIdSet } from "./recent-ids.js";
import type { MattermostClient } from "./rest.js";
import type { WebSocketBroadcast, WebSocketReply } from "./types.js";
import { parseEventPost, type InboundEvent } from "./websocket-event.js";

export type { InboundEvent } from "./websocket-event.js";

/** Why events may have been missed: the first connection (what came before it), a connection the server could not resume, a gap in the sequence numbers. */
export type MissedReason = "start" | "new connection" | "sequence gap";

/**
 * `upgrade_refused`: the upgrade gets an HTTP error while REST accepts the same token, so
 * something between the bot and the server (a proxy) refuses WebSockets; `auth_failed`: REST
 * refuses the token too (401), so it is wrong, expired or revoked.
 */
export type ConnectionState =
  | "connecting"
  | "connected"
  | "reconnecting"
  | "upgrade_refused"
  | "auth_failed"
  | "stopped";

export interface StateDetail {
  connectionId?: string;
  attempt?: number;
  delayMs?: number;
  error?: unknown;
  /** The HTTP status the upgrade got (`upgrade_refused`, `auth_failed`). */
  status?: number;
}

export interface WebSocketReceiverOptions {
  /** Server address (`http(s)://…`); the socket goes to `<url>/api/v4/websocket`. */
  url: string;
  token: string;
  /** Tells a refused token from a refused upgrade (`GET /users/me`); its connections are dropped with a dead socket's. */
  client: MattermostClient;
  logger?: Logger;
  /** Called for every event in arrival order; not awaited, and a throw is logged, never fatal. */
  onEvent: (event: InboundEvent) => unknown;
  onStateChange?: (state: ConnectionState, detail?: StateDetail) => void;
  /** Events may have been missed that the server will not replay: at the first `hello`, a new connection, a sequence gap. */
  onMissed?: (reason: MissedReason) => void;
  /** A WebSocket ping frame goes out after this long without a frame (default 1 s). */
  pingIntervalMs?: number;
  /** No frame or pong this long after a ping → the socket is dead: reconnect (default 3 s). */
  pongTimeoutMs?: number;
  /** Reconnect delays: a fifth of the outage so far, at least `initialMs` (250), at most `maxMs` (30 s), jittered. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Wait after the server refused the token (the upgrade refused, and `GET /users/me` answers 401); default 60 s. */
  authFailureDelayMs?: number;
  /** What the owner does while the upgrade is refused and REST works (e.g. "polling took over"), said in that one log line. */
  whileUpgradeRefused?: string;
}

const ACTION_TIMEOUT_MS = 10_000;
/** The upgrade's answer is waited for this long (a TCP connect that hangs, a proxy that never answers). */
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** A connection healthy this long ends the outage: the next drop starts again with short delays. */
const STABLE_MS = 2_000;
/** The largest frame taken from the server (16 MiB); a bigger one closes the socket (1009) and it reconnects. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const POST_EVENTS = new Set(["posted", "post_edited", "post_deleted"]);
/** What a connection id can be to be sent back in a resume URL (the server's are 26 letters and digits). */
const CONNECTION_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * A frame's `seq` when it is one the server could send (a non-negative safe integer). Anything
 * else (1e400 parses as Infinity) counts as none: taken as the last sequence number, it would
 * make every later event look replayed and drop it until the next hello.
 */
function sequenceNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

/** One socket's life: its timers, activity and how it ended. */
interface Connection {
  ws: WebSocket;
  /** The connection id we asked to resume, if any. */
  resumeOf: string | undefined;
  lastActivity: number;
  /** When the ping still unanswered (no frame or pong since) was sent. */
  pingSentAt: number | undefined;
  timer: NodeJS.Timeout | undefined;
  /** When the first event or pong arrived. */
  healthySince: number | undefined;
  status?: number;
  failure?: unknown;
  /** It ended by a network failure (not a close or a refusal by the server): the REST client's idle connections are suspect. */
  networkFailure?: boolean;
  ended: boolean;
  /** The upgrade went through. */
  opened: boolean;
  /** The server said hello (or took the resume): it knows who we are. */
  greeted: boolean;
}

interface PendingAction {
  resolve: (reply: WebSocketReply) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * Receives events over the Mattermost WebSocket API.
 * @example
 * const receiver = new WebSocketReceiver({ url, token, client, onEvent: (e) => console.log(e.event) });
 * await receiver.start(); // resolves once connected
 * // ...
 * await receiver.stop();
 */
export class WebSocketReceiver {
  private readonly options: WebSocketReceiverOptions;
  private readonly logger: Logger;
  private readonly pingIntervalMs: number;
  private readonly pongTimeoutMs: number;
  private readonly authFailureDelayMs: number;
  private readonly backoff: Backoff;
  private readonly maxBackoffMs: number;
  private readonly seenPosts = new RecentIdSet(10_000);
  private readonly pending = new Map<number, PendingAction>();

  private currentState: ConnectionState = "stopped";
  private running = false;
  private conn: Connection | undefined;
  private connId: string | undefined;
  private lastSeq: number | undefined;
  private failures = 0;
  private actionSeq = 1;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private starting:
    | { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void }
    | undefined;
  /** Bumped by stop(): a refusal still being diagnosed then schedules nothing. */
  private generation = 0;

  constructor(options: WebSocketReceiverOptions) {
    this.options = options;
    this.logger = options.logger ?? silentLogger();
    // A dead path (a NAT that forgot the connection, a proxy gone silent) is found within ~4 s:
    // a ping (a few bytes) after a second without frames, and its pong (answered by the server's
    // read loop, gorilla's default ping handler) due within 3 s. A false alarm costs a resume.
    this.pingIntervalMs = options.pingIntervalMs ?? 1_000;
    this.pongTimeoutMs = options.pongTimeoutMs ?? 3_000;
    this.authFailureDelayMs = options.authFailureDelayMs ?? 60_000;
    this.maxBackoffMs = options.backoff?.maxMs ?? 30_000;
    this.backoff = new Backoff(options.backoff?.initialMs ?? 250, this.maxBackoffMs);
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  /** The server's id for the current connection (from `hello`). */
  get connectionId(): string | undefined {
    return this.connId;
  }

  /**
   * Connects; resolves once the first `hello` arrived. Keeps retrying until then (a down
   * server is not an error); rejects only if `stop()` is called first.
   */
  async start(): Promise<void> {
    if (this.starting) return this.starting.promise;
    if (this.running) return;
    this.running = true;
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.starting = { promise, resolve, reject };
    this.setState("connecting", { attempt: 0 });
    this.connect();
    return promise;
  }

  /** Closes the socket and stops reconnecting. */
  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    clearTimeout(this.reconnectTimer);
    const conn = this.conn;
    if (conn && !conn.ended) {
      await new Promise<void>((resolve) => {
        const done = setTimeout(() => {
          conn.ws.terminate();
          resolve();
        }, 1_000);
        conn.ws.once("close", () => {
          clearTimeout(done);
          resolve();
        });
        conn.ws.close(1000, "client stopping");
      });
    }
    this.conn = undefined;
    // A later start() opens a fresh connection; its first hello says what may have been missed.
    this.connId = undefined;
    this.lastSeq = undefined;
    if (this.starting) {
      this.starting.reject(
        new TransportError("the WebSocket receiver was stopped before it connected"),
      );
      this.starting = undefined;
    }
    if (this.currentState !== "stopped") this.setState("stopped", { connectionId: this.connId });
  }

  /** Sends a client action (`user_typing`, `get_statuses`…) and resolves with the server's reply. */
  sendAction(action: string, data: Record<string, unknown>): Promise<WebSocketReply> {
    const ws = this.conn?.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN)
      return Promise.reject(
        new TransportError(`cannot send ${action}: the WebSocket is not connected`),
      );
    const seq = this.actionSeq++;
    return new Promise<WebSocketReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(seq);
        reject(new TransportError(`no reply to ${action} within ${ACTION_TIMEOUT_MS} ms`));
      }, ACTION_TIMEOUT_MS);
      this.pending.set(seq, { resolve, reject, timer });
      ws.send(JSON.stringify({ seq, action, data }), (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.pending.delete(seq);
        reject(new TransportError(`cannot send ${action}`, { cause: error }));
      });
    });
  }

  // --- connection lifecycle ---

  private connect(): void {
    if (!this.running) return;
    // an empty id (a server without reliable WebSockets, 5.37's default) cannot be resumed
    const resumeOf = this.connId && this.lastSeq !== undefined ? this.connId : undefined;
    const base = `${this.options.url.replace(/\/+$/, "").replace(/^http/i, "ws")}/api/v4/websocket`;
    const url = resumeOf
      ? `${base}?connection_id=${encodeURIComponent(resumeOf)}&sequence_number=${this.lastSeq! + 1}`
      : base;
    const ws = new WebSocket(url, {
      headers: { Authorization: `Bearer ${this.options.token}` },
      handshakeTimeout: Math.max(this.pongTimeoutMs, HANDSHAKE_TIMEOUT_MS),
      // ws accepts 100 MiB frames by default; Mattermost's largest (a post with its props) is far below this
      maxPayload: MAX_FRAME_BYTES,
    });
    const conn: Connection = {
      ws,
      resumeOf,
      lastActivity: Date.now(),
      pingSentAt: undefined,
      timer: undefined,
      healthySince: undefined,
      ended: false,
      opened: false,
      greeted: false,
    };
    this.conn = conn;
    ws.on("unexpected-response", (_req, res) => {
      conn.status = res.statusCode;
      conn.failure = new TransportError(`WebSocket upgrade refused with HTTP ${res.statusCode}`);
      res.resume();
      ws.terminate();
    });
    ws.on("open", () => this.onOpen(conn));
    ws.on("message", (raw) => {
      this.heardFrom(conn);
      this.onMessage(conn, raw);
    });
    ws.on("pong", () => {
      this.heardFrom(conn);
      this.markHealthy(conn);
    });
    ws.on("ping", () => this.heardFrom(conn));
    ws.on("error", (error) => {
      conn.failure ??= error;
      if (conn.status === undefined) conn.networkFailure = true;
    });
    ws.on("close", (code, reason) => this.onClose(conn, code, reason.toString()));
  }

  private onOpen(conn: Connection): void {
    conn.opened = true;
    conn.greeted = conn.resumeOf !== undefined;
    const tick = Math.max(10, Math.min(this.pingIntervalMs, this.pongTimeoutMs) / 8);
    conn.timer = setInterval(() => this.onTick(conn), tick);
    // A successful resume sends no hello: the upgrade itself says we are back.
    if (conn.resumeOf)
      this.setState("connected", { connectionId: conn.resumeOf, attempt: this.failures });
  }

  private heardFrom(conn: Connection): void {
    conn.lastActivity = Date.now();
    conn.pingSentAt = undefined;
  }

  /** Pings an idle socket; a ping unanswered for `pongTimeoutMs` means the socket is dead. */
  private onTick(conn: Connection): void {
    const now = Date.now();
    if (conn.pingSentAt !== undefined) {
      if (now - conn.pingSentAt <= this.pongTimeoutMs) return;
      // Timers run before the loop reads its sockets: after a stall of this process (a loaded
      // machine, a long GC, a handler's synchronous work) the pong may be waiting unread. Judge
      // once the I/O phase has run (setImmediate comes after it).
      const pingSentAt = conn.pingSentAt;
      setImmediate(() => this.onSilence(conn, pingSentAt));
      return;
    }
    if (now - conn.lastActivity >= this.pingIntervalMs) {
      conn.pingSentAt = now;
      try {
        conn.ws.ping();
      } catch (error) {
        conn.failure ??= error;
      }
    }
  }

  /** No frame or pong since the ping sent at `pingSentAt`, even after reading what had arrived: the socket is dead. */
  private onSilence(conn: Connection, pingSentAt: number): void {
    if (conn.ended || conn.pingSentAt !== pingSentAt) return;
    const now = Date.now();
    this.logger.warn(
      { connectionId: this.connId, silentMs: now - conn.lastActivity },
      "websocket: no frame or pong after a ping; the socket is dead, reconnecting",
    );
    conn.failure = new TransportError(
      `no frame or pong within ${this.pongTimeoutMs} ms of a ping (silent for ${now - conn.lastActivity} ms)`,
    );
    // the REST client's connections went the same way: those quiet since the ping are dead too
    this.options.client.dropConnections({ quietSince: pingSentAt });
    conn.ws.terminate();
  }

  private onClose(conn: Connection, code: number, reason: string): void {
    if (conn.ended) return;
    conn.ended = true;
    clearInterval(conn.timer);
    if (this.conn === conn) this.conn = undefined;
    for (const [seq, action] of this.pending) {
      clearTimeout(action.timer);
      action.reject(new TransportError("the WebSocket closed before the server replied"));
      this.pending.delete(seq);
    }
    if (!this.running) return;
    if (conn.networkFailure) this.options.client.dropConnections();
    if (conn.healthySince !== undefined && Date.now() - conn.healthySince >= STABLE_MS)
      this.backoff.reset();
    const attempt = ++this.failures;
    const error =
      conn.failure ??
      new TransportError(`WebSocket closed (code ${code}${reason ? `, ${reason}` : ""})`);
    const refusedResume =
      conn.resumeOf !== undefined &&
      conn.status !== undefined &&
      conn.status >= 400 &&
      conn.status < 500 &&
      conn.status !== 401 &&
      conn.status !== 403;
    if (refusedResume) {
      // the server refuses the resume itself (its parameters): start afresh, with a catch-up, rather than ask again forever
      this.logger.warn(
        { connectionId: conn.resumeOf, status: conn.status },
        "websocket: the server refused to resume the connection; opening a new one",
      );
      this.connId = undefined;
    } else if (
      (conn.status !== undefined && conn.status >= 400) ||
      (conn.opened && !conn.greeted)
    ) {
      // a real server upgrades whatever the token and closes, without a hello, a socket whose
      // token it refuses (server/channels/api4/websocket.go connectWebSocket; the web conn's auth ticker)
      void this.diagnoseRefusal(conn.status, attempt, error);
      return;
    }
    const delayMs = this.backoff.next();
    this.setState("reconnecting", { connectionId: this.connId, attempt, delayMs, error });
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  /**
   * The upgrade got an HTTP error (a proxy answers one it won't pass with 403, 400, 405, 426,
   * 501 or 502; the server with 401): REST, asked with the same token, tells a refused token
   * from something between that refuses WebSockets. Only a refused token waits long.
   */
  private async diagnoseRefusal(
    status: number | undefined,
    attempt: number,
    error: unknown,
  ): Promise<void> {
    const generation = this.generation;
    let verdict: "token" | "between" | "unknown" = "unknown";
    try {
      await this.options.client.getMe({ fresh: true });
      verdict = "between";
    } catch (restError) {
      if (isTokenRefusal(restError)) {
        verdict = "token";
        error = new TokenRefusedError(restError);
      }
    }
    if (!this.running || generation !== this.generation) return;
    const connectionId = this.connId;
    if (verdict === "token") {
      const delayMs = this.authFailureDelayMs;
      this.setState("auth_failed", { connectionId, attempt, delayMs, error, status });
      this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
      return;
    }
    // REST unreachable too: an outage, waited for like any other
    const delayMs = this.backoff.next();
    // a socket closed before its hello, with the token accepted, is an ordinary drop
    const refused = verdict === "between" && status !== undefined;
    this.setState(refused ? "upgrade_refused" : "reconnecting", {
      connectionId,
      attempt,
      delayMs,
      error,
      status,
    });
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  private markHealthy(conn: Connection): void {
    if (conn.healthySince !== undefined) return;
    conn.healthySince = Date.now();
    this.failures = 0;
  }

  // --- frames ---

  private onMessage(conn: Connection, raw: RawData): void {
    let frame: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw.toString());
      if (typeof parsed !== "object" || parsed === null) return;
      frame = parsed as Record<string, unknown>;
    } catch (error) {
      this.logger.warn({ err: error }, "websocket: ignoring a frame that is not JSON");
      return;
    }
    if (typeof frame.seq_reply === "number") {
      const action = this.pending.get(frame.seq_reply);
      if (action) {
        this.pending.delete(frame.seq_reply);
        clearTimeout(action.timer);
        action.resolve(frame as unknown as WebSocketReply);
      }
      return;
    }
    if (typeof frame.event !== "string") return;
    const data = (
      typeof frame.data === "object" && frame.data !== null ? frame.data : {}
    ) as Record<string, unknown>;
    const seq = sequenceNumber(frame.seq);
    this.markHealthy(conn);
    if (frame.event === "hello") {
      this.onHello(conn, data, seq);
      return;
    }
    if (seq !== undefined) {
      if (this.lastSeq !== undefined && seq <= this.lastSeq) return; // replayed twice
      if (this.lastSeq !== undefined && seq > this.lastSeq + 1) {
        this.logger.warn(
          { connectionId: this.connId, expected: this.lastSeq + 1, got: seq },
          "websocket: events were skipped; catching up over REST",
        );
        this.options.onMissed?.("sequence gap");
      }
      this.lastSeq = seq;
    }
    const broadcast = (frame.broadcast ?? {
      omit_users: null,
      user_id: "",
      channel_id: "",
      team_id: "",
    }) as WebSocketBroadcast;
    const event: InboundEvent = { source: "websocket", event: frame.event, data, broadcast, seq };
    if (POST_EVENTS.has(frame.event)) {
      const parsed = parseEventPost(data.post);
      event.post = parsed.post;
      if (!parsed.post)
        this.logger.warn(
          { event: frame.event, seq, reason: parsed.reason },
          `websocket: a ${frame.event} event without a valid post (${parsed.reason}); passed on as a plain event`,
        );
    }
    this.deliver(event);
  }

  private onHello(conn: Connection, data: Record<string, unknown>, seq: number | undefined): void {
    conn.greeted = true;
    // the id goes into the resume URL: one no server would make (a 20 kB string) would get every reconnect refused (431)
    const id =
      typeof data.connection_id === "string" && CONNECTION_ID.test(data.connection_id)
        ? data.connection_id
        : "";
    const previous = this.connId;
    this.connId = id;
    this.lastSeq = seq ?? 0;
    // a server without reliable WebSockets says "" every time: that is a new connection, not a resume
    const resumed = id !== "" && id === previous;
    const first = this.starting !== undefined;
    this.setState("connected", { connectionId: id, attempt: this.failures });
    if (first) {
      this.starting!.resolve();
      this.starting = undefined;
    }
    if (first || !resumed) {
      if (!first || conn.resumeOf)
        this.logger.warn(
          { connectionId: id, previous },
          "websocket: the server started a new connection; catching up over REST",
        );
      this.options.onMissed?.(first ? "start" : "new connection");
    }
  }

  /** Hands an event to `onEvent`, once per post id for `posted`. */
  private deliver(event: InboundEvent): void {
    if (!this.running) return;
    if (event.event === "posted" && event.post?.id && !this.seenPosts.add(event.post.id)) return;
    try {
      this.options.onEvent(event);
    } catch (error) {
      this.logger.error({ err: error, event: event.event }, "websocket: onEvent threw; continuing");
    }
  }

  // --- state ---

  private setState(state: ConnectionState, detail: StateDetail = {}): void {
    const changed = state !== this.currentState;
    this.currentState = state;
    const fields = { state, ...detail, error: undefined, err: detail.error };
    if (state === "auth_failed") {
      // once per outage, not at every try
      const how =
        detail.status === undefined
          ? "the socket closed before the server's hello"
          : `the upgrade got HTTP ${detail.status}`;
      if (changed)
        this.logger.error(
          fields,
          `websocket: ${how} and GET /users/me answers 401: the server refuses the token (expired or revoked?); trying again every ${detail.delayMs} ms`,
        );
      else
        this.logger.debug(
          fields,
          `websocket: the token is still refused; trying again in ${detail.delayMs} ms`,
        );
    } else if (state === "upgrade_refused") {
      if (changed)
        this.logger.warn(
          fields,
          `websocket: the upgrade is refused with HTTP ${detail.status} while REST accepts the token: something between the bot and the server (a proxy?) refuses WebSockets; ${this.options.whileUpgradeRefused ? `${this.options.whileUpgradeRefused}, and the WebSocket is tried` : "trying"} again with backoff (at most ${this.maxBackoffMs} ms apart)`,
        );
      else
        this.logger.debug(
          fields,
          `websocket: the upgrade is still refused (HTTP ${detail.status}); trying again in ${detail.delayMs} ms`,
        );
    } else if (state === "reconnecting") {
      this.logger.warn(
        fields,
        `websocket: disconnected; reconnecting in ${detail.delayMs} ms (attempt ${detail.attempt})`,
      );
    } else if (changed || state === "connected") {
      this.logger.info(
        fields,
        `websocket: ${state}${detail.connectionId ? ` (connection ${detail.connectionId})` : ""}`,
      );
    }
    try {
      this.options.onStateChange?.(state, detail);
    } catch (error) {
      this.logger.error({ err: error }, "websocket: onStateChange threw; continuing");
    }
  }
}
