/** A real WebSocket server on 127.0.0.1 that behaves as each test scripts: refuse, go silent, send frames. */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface Upgrade {
  url: string;
  authorization: string | undefined;
}

export interface ScriptedWsServer {
  url: string;
  upgrades: Upgrade[];
  sockets: WebSocket[];
  /** Decides each upgrade: a status refuses it, `"accept"` accepts. Default: accept. */
  onUpgrade: (upgrade: Upgrade) => number | "accept";
  /** Runs for each accepted socket (send a hello, stay silent...). */
  onConnection: (ws: WebSocket, upgrade: Upgrade) => void;
  /** Resolves when `n` upgrades have been seen. */
  waitForUpgrades(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Frames as a Mattermost server sends them. */
export function helloFrame(connectionId: string): string {
  return JSON.stringify({
    event: "hello",
    data: { connection_id: connectionId, server_version: "5.37.0" },
    broadcast: { omit_users: null, user_id: "u", channel_id: "", team_id: "" },
    seq: 0,
  });
}

export function postedFrame(
  seq: number,
  post: { id: string; channel_id: string; message: string; create_at: number },
): string {
  const data = {
    post: JSON.stringify({ user_id: "alice", root_id: "", ...post }),
    channel_type: "O",
    channel_name: "ops",
    sender_name: "@alice",
  };
  return JSON.stringify({
    event: "posted",
    data,
    broadcast: { omit_users: null, user_id: "", channel_id: post.channel_id, team_id: "t" },
    seq,
  });
}

/** Starts the server; `autoPong: false` lets a test make a socket deaf to our pings. */
export async function startScriptedWsServer(
  options: { autoPong?: boolean } = {},
): Promise<ScriptedWsServer> {
  const wss = new WebSocketServer({ noServer: true, autoPong: options.autoPong ?? true });
  const http = createServer((_req, res) => {
    res.writeHead(404, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ id: "api.context.404.app_error", message: "not scripted" }));
  });
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: ScriptedWsServer = {
    url: "",
    upgrades: [],
    sockets: [],
    onUpgrade: () => "accept",
    onConnection: () => {},
    waitForUpgrades(n, timeoutMs = 5_000) {
      if (server.upgrades.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`only ${server.upgrades.length} upgrades, expected ${n}`)),
          timeoutMs,
        );
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
  http.on("upgrade", (req: IncomingMessage, socket, head) => {
    socket.on("error", () => {}); // the client may hang up first
    const upgrade = { url: req.url ?? "", authorization: req.headers.authorization };
    server.upgrades.push(upgrade);
    for (const w of [...waiters])
      if (server.upgrades.length >= w.n) waiters.splice(waiters.indexOf(w), 1), w.resolve();
    const decision = server.onUpgrade(upgrade);
    if (decision !== "accept") {
      const body = JSON.stringify({
        id: "api.context.session_expired.app_error",
        message: "Invalid or expired session",
        status_code: decision,
      });
      socket.end(
        `HTTP/1.1 ${decision} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      server.sockets.push(ws);
      server.onConnection(ws, upgrade);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return server;
}
