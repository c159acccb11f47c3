/**
 * The bot account's WebSocket as a source: every event becomes an envelope; reconnects, resumes
 * and catches up over REST from a cursor kept in the bot's store, so no post is missed.
 */
import { fromWireEvent, type Envelope, type MessageEnvelope } from "../bot/envelope.js";
import type { Source, SourceHost } from "../bot/source.js";
import { TransportError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { RecentIdSet } from "../mattermost/recent-ids.js";
import {
  WebSocketReceiver,
  type MissedReason,
  type WebSocketReceiverOptions,
} from "../mattermost/websocket.js";
import type { WebSocketReply } from "../mattermost/types.js";
import {
  CatchUp,
  memoryCursor,
  SourceCursor,
  storeChannels,
  storeCursor,
  type ChannelMemory,
  type CatchUpCursor,
} from "./catch-up.js";

export interface WebSocketFeedOptions
  extends Omit<WebSocketReceiverOptions, "onEvent" | "onMissed"> {
  /**
   * Every event as an envelope, in arrival order, each post once (live or caught up); not
   * awaited, and a throw is logged. Resolves (if it returns a promise) once the event is taken:
   * the saved cursor stays below posts not yet taken.
   */
  onEnvelope: (envelope: Envelope) => unknown;
  /** Where the catch-up position is kept (default: in memory). */
  cursor?: CatchUpCursor;
  /**
   * With no cursor saved (a first start), what was posted since this time is caught up at the first
   * `hello`, nothing older. Without it, a first start reads nothing posted before its first `hello`.
   */
  firstStartSince?: number;
  /** Channels to catch up (default: all of the user's channels, DMs included, read at each catch-up). */
  watchedChannels?: () => Promise<string[]>;
  /** Where the channels last listed are kept, for a catch-up whose listing fails (default: in memory). */
  channelMemory?: ChannelMemory;
  /** Catch-up starts this long before the cursor, for posts committed out of order (default 10 s). */
  catchUpOverlapMs?: number;
}

/**
 * The WebSocket with its REST catch-up: what the socket could not replay is read from the cursor.
 * @example
 * const feed = new WebSocketFeed({ url, token, client, cursor, onEnvelope: (e) => console.log(e.kind) });
 * await feed.start(); // resolves once connected
 */
export class WebSocketFeed {
  private readonly receiver: WebSocketReceiver;
  private readonly cursor: SourceCursor;
  private readonly catchUp: CatchUp;
  private readonly logger: Logger;
  private readonly seenPosts = new RecentIdSet(10_000);
  private running = false;
  private catchUpAtStart = false;

  constructor(private readonly options: WebSocketFeedOptions) {
    this.logger = options.logger ?? silentLogger();
    const overlapMs = options.catchUpOverlapMs ?? 10_000;
    this.cursor = new SourceCursor(
      options.cursor ?? memoryCursor(),
      this.logger,
      "websocket",
      overlapMs,
    );
    this.catchUp = new CatchUp({
      client: options.client,
      logger: this.logger,
      cursor: this.cursor,
      watchedChannels: options.watchedChannels,
      channelMemory: options.channelMemory,
      overlapMs,
      retryMs: Math.min(5_000, options.backoff?.maxMs ?? 5_000),
      hand: (envelope) => this.deliver(envelope),
    });
    this.receiver = new WebSocketReceiver({
      ...options,
      onEvent: (event) => this.deliver(fromWireEvent(event)),
      onMissed: (reason) => this.onMissed(reason),
    });
  }

  get state(): WebSocketReceiver["state"] {
    return this.receiver.state;
  }

  get connectionId(): string | undefined {
    return this.receiver.connectionId;
  }

  /** Loads the cursor, then connects; resolves once the first `hello` arrived, rejects only if `stop()` is called first. */
  async start(): Promise<void> {
    this.running = true;
    // a first start: what was posted since the process started (before the socket connected) is answered
    this.catchUpAtStart = await this.cursor.load(this.options.firstStartSince);
    if (!this.running)
      throw new TransportError("the WebSocket receiver was stopped before it connected");
    await this.receiver.start();
  }

  /** Closes the socket, stops catching up and saves the cursor. */
  async stop(): Promise<void> {
    this.running = false;
    this.catchUp.stop();
    await this.receiver.stop();
    await this.cursor.save();
  }

  sendAction(action: string, data: Record<string, unknown>): Promise<WebSocketReply> {
    return this.receiver.sendAction(action, data);
  }

  private onMissed(reason: MissedReason): void {
    if (reason === "start" && !this.catchUpAtStart) {
      // nothing seen yet: from now on, what is posted while we are away gets caught up
      if (this.cursor.value === undefined) this.cursor.advance(Date.now());
      return;
    }
    this.catchUp.request(reason);
  }

  /** Hands the envelope over, once per post; false for a post handed over already. */
  private deliver(envelope: Envelope): boolean {
    if (!this.running) return false;
    const post = envelope.kind === "message" ? (envelope as MessageEnvelope).post : undefined;
    if (post && !this.seenPosts.add(post.id)) return false;
    let handling: unknown;
    try {
      handling = this.options.onEnvelope(envelope);
    } catch (error) {
      this.logger.error(
        { err: error, eventId: envelope.id },
        "websocket: onEvent threw; continuing",
      );
    }
    if (post) this.cursor.handed(post, handling);
    return true;
  }
}

/** Tuning of the connection (ping interval, backoff…); for tests and odd networks. */
export type WebSocketSourceOptions = Pick<
  WebSocketFeedOptions,
  | "pingIntervalMs"
  | "pongTimeoutMs"
  | "backoff"
  | "authFailureDelayMs"
  | "catchUpOverlapMs"
  | "onStateChange"
  | "whileUpgradeRefused"
>;

/** What `/readyz` says while the server refuses the bot's token. */
export const TOKEN_REFUSED_REASON = "the server refuses the bot's token (expired or revoked?)";

/**
 * @example await bot.start(new WebSocketSource());
 */
export class WebSocketSource implements Source {
  readonly name = "websocket";
  private feed: WebSocketFeed | undefined;
  /** The status of the last refused upgrade, for readiness. */
  private refusedWith: number | undefined;

  constructor(private readonly options: WebSocketSourceOptions = {}) {}

  async start(host: SourceHost): Promise<void> {
    const { store, logger } = host;
    this.feed = new WebSocketFeed({
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
      channelMemory: storeChannels(store),
      firstStartSince: host.startedAt,
      // the pipeline logs its own failures; a rejection here would be a bug in it. Settled once
      // the post is taken, so that the cursor kept in the store never passes a queued post.
      onEnvelope: (envelope) =>
        host
          .handle(envelope)
          .catch((error: unknown) =>
            logger.error({ err: error, eventId: envelope.id }, "websocket: the event was lost"),
          ),
    });
    await this.feed.start();
  }

  async stop(): Promise<void> {
    await this.feed?.stop();
    this.feed = undefined;
  }

  /** Ready while connected; otherwise the state says why not. */
  readiness(): { ok: boolean; reason?: string } {
    const state = this.state;
    if (state === "connected") return { ok: true };
    if (state === "auth_failed") return { ok: false, reason: TOKEN_REFUSED_REASON };
    if (state === "upgrade_refused")
      return {
        ok: false,
        reason: `not connected: the WebSocket upgrade is refused (HTTP ${this.refusedWith}) while REST works`,
      };
    return { ok: false, reason: `not connected (${state.replace("_", " ")})` };
  }

  /** The connection's state (`connected`, `reconnecting`, …), for health checks. */
  get state(): WebSocketReceiver["state"] | "stopped" {
    return this.feed?.state ?? "stopped";
  }
}
