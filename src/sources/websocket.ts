/**
 * The bot account's WebSocket as a source: every event becomes an envelope; reconnects, resumes
 * and catches up over REST from a cursor kept in the bot's store, so no post is missed.
 */
import { fromWireEvent } from "../bot/envelope.js";
import type { Source, SourceHost } from "../bot/source.js";
import { WebSocketReceiver, type WebSocketReceiverOptions } from "../mattermost/websocket.js";
import { storeCursor } from "./cursor.js";

/** Tuning of the connection (ping interval, backoff…); for tests and odd networks. */
export type WebSocketSourceOptions = Pick<WebSocketReceiverOptions, "pingIntervalMs" | "pongTimeoutMs" | "backoff" | "authFailureDelayMs" | "catchUpOverlapMs" | "onStateChange" | "whileUpgradeRefused">;

/** What `/readyz` says while the server refuses the bot's token. */
export const TOKEN_REFUSED_REASON = "the server refuses the bot's token (expired or revoked?)";

/**
 * @example await bot.start(new WebSocketSource());
 */
export class WebSocketSource implements Source {
  readonly name = "websocket";
  private receiver: WebSocketReceiver | undefined;
  /** The status of the last refused upgrade, for readiness. */
  private refusedWith: number | undefined;

  constructor(private readonly options: WebSocketSourceOptions = {}) {}

  async start(host: SourceHost): Promise<void> {
    const { store, logger } = host;
    this.receiver = new WebSocketReceiver({
      url: host.client.url,
      token: host.token,
      client: host.client,
      logger,
      ...this.options,
      onStateChange: (state, detail) => {
        this.refusedWith = detail?.status;
        host.observer?.sourceState?.(this.name, state);
        this.options.onStateChange?.(state, detail);
      },
      cursor: storeCursor(store),
      firstStartSince: host.startedAt,
      // the pipeline logs its own failures; a rejection here would be a bug in it. Settled once
      // the post is taken, so that the cursor kept in the store never passes a queued post.
      onEvent: (event) => host.handle(fromWireEvent(event)).catch((error: unknown) => logger.error({ err: error, event: event.event }, "websocket: the event was lost")),
    });
    await this.receiver.start();
  }

  async stop(): Promise<void> {
    await this.receiver?.stop();
    this.receiver = undefined;
  }

  /** Ready while connected; otherwise the state says why not. */
  readiness(): { ok: boolean; reason?: string } {
    const state = this.state;
    if (state === "connected") return { ok: true };
    if (state === "auth_failed") return { ok: false, reason: TOKEN_REFUSED_REASON };
    if (state === "upgrade_refused") return { ok: false, reason: `not connected: the WebSocket upgrade is refused (HTTP ${this.refusedWith}) while REST works` };
    return { ok: false, reason: `not connected (${state.replace("_", " ")})` };
  }

  /** The connection's state (`connected`, `reconnecting`, …), for health checks. */
  get state(): WebSocketReceiver["state"] | "stopped" {
    return this.receiver?.state ?? "stopped";
  }
}
