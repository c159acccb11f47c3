/**
 * The WebSocket when it can be had, REST polling when not: polling takes over at once when the
 * upgrade is refused while REST accepts the token (a proxy that refuses WebSockets), or when the
 * socket keeps failing while REST answers, and stops once the WebSocket is back. A refused token
 * is no reason to poll: polling would be refused too. Both resume from the one cursor in the
 * store and the claims drop what both saw, so nothing is missed or handled twice in a switch.
 */
import type { Source, SourceHost } from "../bot/source.js";
import type { ConnectionState, StateDetail } from "../mattermost/websocket.js";
import { PollingSource, type PollingSourceOptions } from "./polling.js";
import { TOKEN_REFUSED_REASON, WebSocketSource, type WebSocketSourceOptions } from "./websocket.js";

export interface AutoSourceOptions {
  websocket?: WebSocketSourceOptions;
  polling?: PollingSourceOptions;
  /** Failed connection attempts in a row before polling takes over; an upgrade refused while REST accepts the token counts at once (default 3). */
  fallbackAfterFailures?: number;
}

/** Which transport is delivering. */
export type AutoMode = "websocket" | "polling" | "connecting" | "stopped";

/**
 * @example await bot.start(new AutoSource({ polling: { intervalMs: 2000 } }));
 */
export class AutoSource implements Source {
  readonly name = "auto";
  private readonly fallbackAfter: number;
  private host: SourceHost | undefined;
  private websocket: WebSocketSource | undefined;
  private polling: PollingSource | undefined;
  private pollingLive: Promise<void> | undefined;
  /** Switches run one after the other. */
  private switching: Promise<void> = Promise.resolve();
  private wsState: ConnectionState | "stopped" = "stopped";
  private running = false;

  constructor(private readonly options: AutoSourceOptions = {}) {
    this.fallbackAfter = options.fallbackAfterFailures ?? 3;
  }

  /** Resolves once the WebSocket is connected or polling has reached the server. */
  async start(host: SourceHost): Promise<void> {
    this.host = host;
    this.running = true;
    let fellBack!: () => void;
    const pollingStarted = new Promise<void>((resolve) => (fellBack = resolve));
    const onStateChange = (state: ConnectionState, detail?: StateDetail) => {
      this.options.websocket?.onStateChange?.(state, detail);
      this.onWebSocketState(state, detail ?? {}, fellBack);
    };
    this.websocket = new WebSocketSource({
      ...this.options.websocket,
      onStateChange,
      whileUpgradeRefused: "polling took over",
    });
    const connected = this.websocket.start(host);
    connected.catch(() => undefined); // rejected only by stop()
    await Promise.race([connected, pollingStarted]);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.switching;
    await this.stopPolling();
    await this.websocket?.stop();
    this.websocket = undefined;
  }

  /** Ready over the WebSocket, or over polling while it has taken over. */
  readiness(): { ok: boolean; reason?: string } {
    const mode = this.mode;
    if (mode === "websocket") return { ok: true };
    if (mode === "polling")
      return this.polling?.readiness() ?? { ok: false, reason: "polling stopped" };
    if (mode === "stopped") return { ok: false, reason: "stopped" };
    if (this.wsState === "auth_failed") return { ok: false, reason: TOKEN_REFUSED_REASON };
    return {
      ok: false,
      reason: `not connected (websocket ${this.wsState.replace("_", " ")}, no polling yet)`,
    };
  }

  get mode(): AutoMode {
    if (!this.running) return "stopped";
    if (this.wsState === "connected") return "websocket";
    return this.polling ? "polling" : "connecting";
  }

  private onWebSocketState(
    state: ConnectionState,
    detail: StateDetail,
    fellBack: () => void,
  ): void {
    this.wsState = state;
    if (!this.running) return;
    if (state === "connected" && this.polling) {
      this.enqueue(async () => {
        if (this.wsState !== "connected" || !this.polling) return;
        this.host!.logger.info(
          "auto: the WebSocket works again; polling stops after one last round",
        );
        await this.stopPolling({ handOver: true });
      });
    }
    if (this.polling) return;
    // the receiver asked REST already: it accepts the token, so polling works now
    const refused = state === "upgrade_refused";
    if (!refused && (state !== "reconnecting" || (detail.attempt ?? 0) < this.fallbackAfter))
      return;
    this.enqueue(async () => {
      if (this.polling || !this.running || this.wsState === "connected") return;
      // a server that is down altogether is the WebSocket's to wait for; polling only helps when REST answers
      if (
        !refused &&
        !(await this.host!.client.ping().then(
          () => true,
          () => false,
        ))
      )
        return;
      // a refused upgrade was said by the receiver, in one line that tells polling took over
      if (!refused)
        this.host!.logger.warn(
          { err: detail.error },
          `auto: the WebSocket failed ${detail.attempt} times in a row; polling until it works again`,
        );
      this.polling = new PollingSource(this.options.polling);
      this.pollingLive = this.polling.start(this.host!).then(fellBack, () => undefined);
    });
  }

  private enqueue(step: () => Promise<void>): void {
    this.switching = this.switching
      .then(step)
      .catch((error: unknown) =>
        this.host?.logger.error({ err: error }, "auto: switching transport failed"),
      );
  }

  /** `handOver`: a last round first, for what was posted before the WebSocket connected. */
  private async stopPolling(options: { handOver?: boolean } = {}): Promise<void> {
    const polling = this.polling;
    this.polling = undefined;
    await (options.handOver ? polling?.handOver() : polling?.stop());
    await this.pollingLive;
    this.pollingLive = undefined;
  }
}
