/**
 * Mattermost's HTTP integrations as a source: outgoing webhooks, slash commands, button and menu
 * clicks, dialog submissions. The receiver (src/http/receiver.ts) verifies each request; this
 * turns it into an envelope and answers with what the pipeline gives back. It also tells the bot
 * where buttons and dialogs must point, and signs them.
 */
import { randomBytes } from "node:crypto";
import {
  messageEnvelope,
  type SlashEnvelope,
  type ActionEnvelope,
  type DialogEnvelope,
  type MessageEnvelope,
} from "../bot/envelope.js";
import type { Source, SourceHost } from "../bot/source.js";
import { signAttachments, type MessageAttachment } from "../http/attachments.js";
import type {
  ActionClickPayload,
  DialogSubmissionPayload,
  OutgoingWebhookPayload,
  SlashCommandPayload,
} from "../http/payloads.js";
import { lateHttpHandler, type HttpHandler } from "../http/mountable-handler.js";
import { requireListenOrPublicUrl } from "../http/listen.js";
import type { HttpReceiver, HttpReceiverOptions } from "../http/receiver.js";
import { routeUrls } from "../http/routes.js";
import { signDialog, type DialogBinding } from "../http/signature.js";
import { readIntegrationTokens, withStoredTokens } from "../http/stored-tokens.js";
import { AnswerSlot } from "../bot/answer-slot.js";
import type { Post } from "../mattermost/types.js";

export interface HttpSourceOptions {
  /**
   * `host:port` to listen on, e.g. `"127.0.0.1:3000"`; port 0 picks a free port (tests). Without
   * it nothing listens: mount `source.handler` in your server (and give `publicUrl`).
   */
  listen?: string;
  /**
   * Where Mattermost reaches the bot, path included when mounted or behind a proxy
   * (`https://example.com/mattermost`); default `http://<listen>`. Required without `listen`.
   */
  publicUrl?: string;
  /** Tokens Mattermost shows when the integration is created; several allowed (rotation, several hooks). Those `mmbot setup` stored are added. */
  tokens?: { outgoingWebhook?: string[]; slash?: string[] };
  /** Signs buttons, menus and dialogs: a long random string, kept secret. Default: one made on first start and kept in the store. */
  actionSecret?: string;
  /** How long a button stays clickable (default 30 days). */
  actionTtlMs?: number;
  /** Largest accepted request body (default 64 KiB). */
  bodyLimitBytes?: number;
  /** Where a refusal of a missing token says the tokens are set (a service names its configuration keys). */
  tokenHints?: { outgoingWebhook: string; slash: string };
  /** With `listen`: answers requests before the integrations do (true when it did), e.g. `metricsRequestHandler(metrics)` of `mmbot/metrics`. */
  alsoServe?: HttpReceiverOptions["alsoServe"];
}

export const DEFAULT_ACTION_TTL_MS = 30 * 24 * 3600_000;
/** A dialog may stay open a while; its signed URL outlives it comfortably. */
const DIALOG_TTL_MS = 24 * 3600_000;
const ACTION_SECRET_KEY = "http.action_secret";

/**
 * @example
 * await bot.start(new WebSocketSource(), new HttpSource({ listen: "0.0.0.0:3000", publicUrl: "https://bot.example.com", tokens: { slash: [token] } }));
 * @example
 * // mounted at /mattermost of a server you already run
 * const http = new HttpSource({ publicUrl: "https://example.com/mattermost", tokens: { slash: [token] } });
 * createServer((req, res) => (req.url?.startsWith("/mattermost/") ? http.handler.node(req, res) : app(req, res)));
 * await bot.start(new WebSocketSource(), http);
 */
export class HttpSource implements Source {
  readonly name = "http";
  private receiver: HttpReceiver | undefined;
  /**
   * The receiver as handlers to mount in your server at the path of `publicUrl`: a node:http
   * `(req, res)` and a web-standard `(Request) => Response`. They answer 503 until the bot has started.
   */
  readonly handler: HttpHandler = lateHttpHandler(
    () => this.receiver,
    "the bot is not started: call bot.start()",
  );

  constructor(private readonly options: HttpSourceOptions) {
    requireListenOrPublicUrl(options, "the HTTP source");
  }

  /** Where Mattermost reaches this source (after `start()`). */
  get publicUrl(): string {
    if (!this.receiver) throw new Error("the HTTP source is not started");
    return this.receiver.publicUrl;
  }

  async start(host: SourceHost): Promise<void> {
    const { store } = host;
    // without a configured secret, one made on first start and kept in the store: buttons keep
    // working across restarts, and instances sharing a PostgreSQL store agree on it
    const secret =
      this.options.actionSecret ??
      (await store.kv.setIfAbsent(ACTION_SECRET_KEY, randomBytes(32).toString("hex")));
    // loaded only by bots that receive HTTP: a WebSocket-only bot starts faster and smaller
    const { HttpReceiver } = await import("../http/receiver.js");
    const receiver = new HttpReceiver({
      listen: this.options.listen,
      publicUrl: this.options.publicUrl,
      tokens: withStoredTokens(this.options.tokens ?? {}, await readIntegrationTokens(store.kv)),
      actionSecret: secret,
      bodyLimitBytes: this.options.bodyLimitBytes,
      tokenHints: this.options.tokenHints,
      alsoServe: this.options.alsoServe,
      logger: host.logger,
      handlers: {
        outgoingWebhook: (payload) => this.onOutgoingWebhook(host, payload),
        slash: (payload) => host.handle(slashEnvelope(payload)),
        action: (actionId, payload, data) => host.handle(actionEnvelope(actionId, payload, data)),
        dialog: (payload) => host.handle(dialogEnvelope(payload)),
      },
    });
    await receiver.start();
    this.receiver = receiver; // the handler passes requests on from now
    const ttlMs = this.options.actionTtlMs ?? DEFAULT_ACTION_TTL_MS;
    host.provideInteractions({
      signAttachments: (attachments: readonly MessageAttachment[], channelId: string) =>
        signAttachments(attachments, channelId, { publicUrl: receiver.publicUrl, secret, ttlMs }),
      dialogUrl: (binding: DialogBinding) =>
        routeUrls.dialogs(
          receiver.publicUrl,
          signDialog(secret, binding, Date.now() + DIALOG_TTL_MS),
        ),
    });
  }

  async stop(): Promise<void> {
    await this.receiver?.stop();
    this.receiver = undefined;
  }

  /** The webhook carries no root id: read the post, then handle it like the WebSocket's (deduplicated). */
  private async onOutgoingWebhook(
    host: SourceHost,
    payload: OutgoingWebhookPayload,
  ): Promise<object> {
    // already handled (the WebSocket usually delivers first): nothing to read, nothing to do
    if (host.hasSeen(payload.post_id)) return {};
    let post: Post;
    try {
      post = await host.client.getPost(payload.post_id);
    } catch (error) {
      const ref = randomBytes(4).toString("hex");
      host.logger.error(
        { err: error, ref, eventId: payload.post_id },
        "http: cannot read the post of an outgoing webhook",
      );
      return {
        text: `Sorry, I could not read that message (ref \`${ref}\`).`,
        response_type: "comment",
      };
    }
    // answer when handled (the reply is already posted), or acknowledge at the deadline
    const slot = new AnswerSlot(host.answerWithinMs);
    void host.handle(webhookEnvelope(payload, post)).then(() => slot.close({}));
    return slot.waitForAnswer();
  }
}

function webhookEnvelope(payload: OutgoingWebhookPayload, post: Post): MessageEnvelope {
  // outgoing webhooks fire only in open channels; the trigger word, not a mention, addresses the bot
  const channel = { name: payload.channel_name, type: "O" as const, team_id: payload.team_id };
  return messageEnvelope(post, {
    source: "webhook",
    channel,
    sender: { username: payload.user_name },
    triggerWord: payload.trigger_word,
  });
}

function slashEnvelope(payload: SlashCommandPayload): SlashEnvelope {
  return {
    kind: "slash",
    id: payload.trigger_id || randomBytes(8).toString("hex"),
    source: "http",
    payload,
    channel: { id: payload.channel_id, name: payload.channel_name, type: "" },
    teamId: payload.team_id,
    user: { id: payload.user_id, name: payload.user_name },
  };
}

function actionEnvelope(
  actionId: string,
  payload: ActionClickPayload,
  data: Record<string, unknown>,
): ActionEnvelope {
  return {
    kind: "action",
    id: payload.trigger_id || randomBytes(8).toString("hex"),
    source: "http",
    actionId,
    payload,
    data,
    channel: { id: payload.channel_id, name: payload.channel_name, type: "" },
    teamId: payload.team_id,
    user: { id: payload.user_id, name: payload.user_name },
  };
}

function dialogEnvelope(payload: DialogSubmissionPayload): DialogEnvelope {
  return {
    kind: "dialog",
    id: randomBytes(8).toString("hex"),
    source: "http",
    payload,
    channel: { id: payload.channel_id, name: "", type: "" },
    teamId: payload.team_id,
    user: { id: payload.user_id, name: "" },
  };
}
