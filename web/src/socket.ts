/**
 * The sandbox's own WebSocket, as Mattermost's web app uses it: authenticate with the session
 * token (`authentication_challenge`, browsers cannot set headers), then events; reconnects
 * after a drop.
 */
import type { WsEvent } from "./types";

export class Socket {
  private ws: WebSocket | undefined;
  private seq = 1;
  private closed = false;
  private retry: number | undefined;

  constructor(
    private readonly token: string,
    private readonly onEvent: (event: WsEvent) => void,
    private readonly onReconnect: () => void,
  ) {
    this.connect(false);
  }

  /** Tells the channel (or thread) that this user is typing. */
  typing(channelId: string, parentId = ""): void {
    this.send("user_typing", { channel_id: channelId, parent_id: parentId });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.ws?.close();
  }

  private connect(again: boolean): void {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/api/v4/websocket`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      this.send("authentication_challenge", { token: this.token });
      if (again) this.onReconnect(); // events missed while away: the page reloads what it shows
    };
    ws.onmessage = (message) => {
      for (const line of String(message.data).split("\n")) {
        if (!line) continue;
        const frame = JSON.parse(line) as Partial<WsEvent>;
        if (typeof frame.event === "string") this.onEvent(frame as WsEvent);
      }
    };
    ws.onclose = () => {
      if (!this.closed) this.retry = window.setTimeout(() => this.connect(true), 1_000);
    };
  }

  private send(action: string, data: Record<string, unknown>): void {
    if (this.ws?.readyState === WebSocket.OPEN)
      this.ws.send(JSON.stringify({ seq: this.seq++, action, data }));
  }
}
