/** Types of bench/fault-proxy.js: a TCP proxy that breaks the path between a bot and its server. */
export interface FaultProxyOptions {
  /** Listen on this port (default: any free one). */
  port?: number;
  log?: (line: string) => void;
}

export declare class FaultProxy {
  /** `target`: `http://host:port` or `host:port`, or a function giving it at each new connection. */
  static start(target: string | (() => string), options?: FaultProxyOptions): Promise<FaultProxy>;
  /** `http://127.0.0.1:<port>`: the address to give the bot. */
  readonly url: string;
  readonly port: number;
  /** Client connections still open. */
  readonly open: number;
  readonly counts: {
    connections: number;
    refused: number;
    upgradesRefused: number;
    silenced: number;
  };
  /** Closes every open connection and refuses new ones for `ms` (default until `heal()`). */
  cut(ms?: number): void;
  /** Every open connection drops all bytes both ways and stays open; new ones work unless `newConnections`. */
  silence(options?: { newConnections?: boolean }): void;
  /** WebSocket upgrades are answered with `status` (default 403); plain HTTP passes. `null` lets them through again. */
  refuseUpgrades(status?: number | null): void;
  /** The status upgrades are refused with now, if any. */
  readonly upgradeStatus: number | undefined;
  /** The server's side of every open connection closes; the bot's side stays open and mute. */
  halfOpen(): void;
  /** Every connection forwards at most `bytesPerSecond` each way; `drip(false)` ends it. */
  drip(options?: { bytesPerSecond?: number } | false): void;
  /** A clean path for new connections; connections already silenced stay silent. */
  heal(): void;
  close(): Promise<void>;
}
