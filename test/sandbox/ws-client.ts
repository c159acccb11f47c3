/** A WebSocket test client for the sandbox: keeps every frame (raw and parsed) and waits for one. */
import WebSocket from "ws";

export interface Frame {
  raw: string;
  json: Record<string, unknown> & {
    event?: string;
    seq?: number;
    seq_reply?: number;
    data?: Record<string, unknown>;
  };
}

export class TestSocket {
  readonly frames: Frame[] = [];
  private waiters: Array<{ predicate: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const raw = String(data);
      const frame = { raw, json: JSON.parse(raw) as Frame["json"] };
      this.frames.push(frame);
      this.waiters = this.waiters.filter((w) =>
        w.predicate(frame) ? (w.resolve(frame), false) : true,
      );
    });
    this.closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
  }

  /** Opens a socket; `token` goes on the upgrade request unless `challenge` is set. */
  static async open(
    baseUrl: string,
    options: { token?: string; challenge?: boolean; query?: string } = {},
  ): Promise<TestSocket> {
    const url = `${baseUrl.replace(/^http/, "ws")}/api/v4/websocket${options.query ? `?${options.query}` : ""}`;
    const headers: Record<string, string> =
      options.token && !options.challenge ? { Authorization: `Bearer ${options.token}` } : {};
    const ws = new WebSocket(url, { headers });
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    if (options.challenge && options.token)
      socket.send({ seq: 1, action: "authentication_challenge", data: { token: options.token } });
    return socket;
  }

  /**
   * Resolves once every frame the server sent before this call has arrived: a ping's pong travels
   * behind them on the same connection. A barrier, not a delay.
   */
  flush(): Promise<void> {
    return new Promise((resolve) => {
      this.ws.once("pong", () => resolve());
      this.ws.ping();
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first frame (already received or to come) matching `predicate`. */
  next(predicate: (f: Frame) => boolean, timeoutMs = 3_000): Promise<Frame> {
    const found = this.frames.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`no matching frame; got ${this.frames.map((f) => f.raw.trim()).join("\n")}`),
          ),
        timeoutMs,
      );
      this.waiters.push({ predicate, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  }

  event(name: string, extra: (f: Frame) => boolean = () => true): Promise<Frame> {
    return this.next((f) => f.json.event === name && extra(f));
  }

  events(name?: string): Frame[] {
    return this.frames.filter(
      (f) => f.json.event !== undefined && (name === undefined || f.json.event === name),
    );
  }

  close(): void {
    this.ws.close();
  }
}

/** An upgrade that the server refuses: its HTTP status. */
export function refusedStatus(
  baseUrl: string,
  headers: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/api/v4/websocket`, { headers });
    ws.on("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on("open", () => reject(new Error("the upgrade was accepted")));
    ws.on("error", () => undefined);
  });
}
