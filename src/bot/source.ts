/**
 * The seam between the bot and its transports. A source (the WebSocket, the HTTP receiver, REST
 * polling) turns what the server sends into envelopes and hands them to the bot; the bot knows
 * no transport.
 */
import type { Logger } from "../log.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { UserProfile } from "../mattermost/types.js";
import type { Store } from "../store/index.js";
import type { InteractionUrls } from "./context.js";
import type { Envelope } from "./envelope.js";
import type { BotObserver } from "./observer.js";

/** What a started source gets from the bot. */
export interface SourceHost {
  readonly client: MattermostClient;
  /** The bot's token, for sources that open their own connection (the WebSocket). */
  readonly token: string;
  readonly store: Store;
  /** The bot's observer, if any: tell it state changes (`sourceState`); metrics may add their own through it. */
  readonly observer: BotObserver | undefined;
  readonly logger: Logger;
  readonly me: UserProfile;
  /** How long an answer may take before the HTTP request is acknowledged without it. */
  readonly answerWithinMs: number;
  /** A first start (no cursor in the store) reads what was posted since this time (ms since the epoch), nothing older. */
  readonly startedAt: number;
  /**
   * Runs the envelope through the pipeline. Resolves with the body to answer an interaction with
   * (by its deadline), or `{}` once anything else has been handled.
   */
  handle(envelope: Envelope): Promise<object>;
  /** This post was seen already (handled or being handled): a source may skip reading it. */
  hasSeen(postId: string): boolean;
  /** Where buttons and dialogs send their clicks: told by the source that receives them. */
  provideInteractions(urls: InteractionUrls): void;
}

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
