/**
 * What a started bot is made of: its client, store, outbox, logger, its own user, observer,
 * policy and texts. Built once when the bot starts and handed, unchanged, to everything that
 * runs in it: the pipeline and the contexts it makes, the claims, the sources (as their host)
 * and the apps (at their start). State learnt later (where clicks go) lives on it too.
 */
import type { MessageAttachment } from "../http/attachments.js";
import type { DialogBinding } from "../http/signature.js";
import type { Logger } from "../log.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { ServerInfo } from "../mattermost/server-info.js";
import type { UserProfile } from "../mattermost/types.js";
import type { Store } from "../store/index.js";
import type { Envelope } from "./envelope.js";
import type { BotObserver } from "./observer.js";
import type { Outbox } from "./outbox.js";
import type { Policy } from "./policy.js";
import type { BotTexts } from "./texts.js";

/** Where buttons, menus and dialogs send their clicks: given by the HTTP source once it is started. */
export interface InteractionUrls {
  /** Points the actions at the bot and signs them for a channel. */
  signAttachments(
    attachments: readonly MessageAttachment[],
    channelId: string,
  ): MessageAttachment[];
  /** The signed URL a dialog submits to. */
  dialogUrl(binding: DialogBinding): string;
}

/**
 * The bot's runtime, as a source, an app or a context sees it.
 * @example
 * class Stdin implements Source {
 *   readonly name = "stdin";
 *   async start(runtime: BotRuntime) { runtime.logger.info("reading stdin"); ... runtime.handle(envelope) ... }
 *   async stop() {}
 * }
 */
export interface BotRuntime {
  readonly client: MattermostClient;
  /** The bot's token, for sources that open their own connection (the WebSocket). */
  readonly token: string;
  /** Open and migrated: apps keep their data there. */
  readonly store: Store;
  /** Every post of the bot goes through it: stored first, sent, retried. */
  readonly outbox: Outbox;
  readonly logger: Logger;
  /** The bot's own user. */
  readonly me: UserProfile;
  /**
   * The server: its version, the longest message it takes (answers are split there) and its
   * override settings, read once at start (`client.serverInfo()`).
   */
  readonly server: ServerInfo;
  /** The bot's observer, if any (e.g. `BotMetrics`: an app or a source may add metrics of its own, `metricsOf`). */
  readonly observer: BotObserver | undefined;
  readonly policy: Policy;
  /** What the bot says on its own (refusals, failures). */
  readonly texts: BotTexts;
  /** For calls outside the Mattermost client (a slash command's `response_url`). */
  readonly fetch: typeof fetch;
  /** How long an interaction's answer may take before the HTTP request is acknowledged without it. */
  readonly answerWithinMs: number;
  /** A first start (no cursor in the store) reads what was posted since this time (ms since the epoch), nothing older. */
  readonly startedAt: number;
  /** Where clicks go; undefined until an HTTP source provides them (until then buttons and dialogs cannot be used). */
  interactionUrls: InteractionUrls | undefined;
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
