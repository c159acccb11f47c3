/**
 * The seam between the bot and its transports. A source (the WebSocket, the HTTP receiver, REST
 * polling) turns what the server sends into envelopes and hands them to the bot's runtime
 * (`handle`); the bot knows no transport.
 */
import type { BotRuntime } from "./runtime.js";

/** What a started source gets from the bot: its runtime. */
export type SourceHost = BotRuntime;

/**
 * @example
 * class Stdin implements Source {
 *   readonly name = "stdin";
 *   async start(host: SourceHost) { ... host.handle(envelope) ... }
 *   async stop() {}
 * }
 */
export interface Source {
  readonly name: string;
  /** Starts receiving; resolves once the source is live (connected, listening). */
  start(host: SourceHost): Promise<void>;
  /** Stops receiving; what was handed to the bot already still runs to its end. */
  stop(): Promise<void>;
  /** Whether the source is live now (connected), and why not; sources without a connection leave it out. For `/readyz`. */
  readiness?(): { ok: boolean; reason?: string };
}
