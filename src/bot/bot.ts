import { randomBytes } from "node:crypto";
import { HandlerError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { AnswerSlot } from "../http/answer-slot.js";
import { signAttachments, type MessageAttachment } from "../http/attachments.js";
import type { InteractionServices } from "../http/contexts.js";
import { Interactions, type ActionHandler, type DialogHandler, type SlashHandler } from "../http/interactions.js";
import { DEFAULT_ACTION_TTL_MS, DEFAULT_ANSWER_WITHIN_MS, DIALOG_TTL_MS, type HttpOptions } from "../http/options.js";
import type { OutgoingWebhookPayload } from "../http/payloads.js";
import { lateHttpHandler, type HttpHandler } from "../http/late-handler.js";
import type { HttpReceiver } from "../http/receiver.js";
import { routeUrls } from "../http/routes.js";
import { readIntegrationTokens, withStoredTokens } from "../http/stored-tokens.js";
import { signDialog, type DialogBinding } from "../http/signature.js";
import { leadingTriggerWord, stripTriggerWord, webhookEvent } from "../http/webhook-event.js";
import { MattermostClient } from "../mattermost/rest.js";
import type { Post, UserProfile } from "../mattermost/types.js";
import { WebSocketReceiver, type InboundEvent, type WebSocketReceiverOptions } from "../mattermost/websocket.js";
import { openStore, type Store } from "../store/index.js";
import { compose } from "./compose.js";
import { Composer } from "./composer.js";
import { Context } from "./context.js";
import { toBotEvent, type BotEvent } from "./event.js";
import { Outbox } from "./outbox.js";
import { postEntries } from "./post-entries.js";
import { decide, defaultPolicy, isAddressed, stripLeadingMention, type Policy } from "./policy.js";
import { RecentIdSet } from "../mattermost/inbound.js";
import { SerialQueue } from "./serial-queue.js";

export interface BotOptions {
  /** The server, e.g. `https://chat.example.com` (a trailing slash is fine). */
  url: string;
  /** The bot account's access token. */
  token: string;
  /** A store URL (`sqlite:./data/mmbot.db`, `postgres://…`) or an open store. */
  store?: string | Store;
  policy?: Partial<Policy>;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Tuning of the WebSocket connection (ping interval, backoff); for tests and odd networks. */
  websocket?: Pick<WebSocketReceiverOptions, "pingIntervalMs" | "deadAfterMs" | "backoff" | "authFailureDelayMs" | "catchUpOverlapMs">;
  /** A handler still running after this long shows "typing…", repeated every `typingIntervalMs`. */
  typingDelayMs?: number;
  typingIntervalMs?: number;
  /** Receive Mattermost's HTTP integrations: outgoing webhooks, slash commands, buttons, dialogs. */
  http?: HttpOptions;
}

/** Handles an error thrown by a handler; the default tells the user with a reference id. */
export type ErrorHandler = (error: HandlerError, ctx: Context) => unknown;

/**
 * A Mattermost bot: connect, route events to handlers, answer.
 * @example
 * const bot = new Bot({ url: "http://localhost:8065", token: process.env.MATTERMOST_BOT_TOKEN! });
 * bot.command("ping", (ctx) => ctx.reply("pong"));
 * await bot.start();
 */
export class Bot extends Composer {
  readonly client: MattermostClient;
  readonly logger: Logger;
  readonly policy: Policy;
  private readonly instanceId = randomBytes(6).toString("hex");
  private readonly queue = new SerialQueue();
  private readonly seenPosts = new RecentIdSet(10_000); // the cheap first dedupe, before the store's claim
  private errorHandler: ErrorHandler | undefined;
  private storeHandle: Store | undefined;
  private outbox: Outbox | undefined;
  private receiver: WebSocketReceiver | undefined;
  private me: UserProfile | undefined;
  private ownsStore = false;
  private readonly interactions: Interactions;
  private httpReceiver: HttpReceiver | undefined;
  private actionSecret: string | undefined;
  private readonly triggerWords: string[];

  constructor(private readonly options: BotOptions) {
    super();
    this.logger = options.logger ?? silentLogger();
    this.policy = { ...defaultPolicy, ...options.policy };
    this.client = new MattermostClient({ url: options.url, token: options.token, fetch: options.fetch, logger: this.logger });
    this.triggerWords = [...(options.http?.triggerWords ?? [])];
    this.interactions = new Interactions({ logger: this.logger, policy: this.policy, answerWithinMs: this.answerWithinMs });
  }

  /**
   * A slash command (needs the `http` option and the command's token in `http.tokens.slash`).
   * @example bot.slash("/todo", (ctx) => ctx.respond(`You said ${ctx.text}`))
   */
  slash(command: string, handler: SlashHandler): this {
    this.interactions.addSlash(command, handler);
    return this;
  }

  /**
   * Clicks on buttons and picks in menus built with `button(id, …)`/`select(id, …)`.
   * @example bot.action("done", async (ctx) => { await ctx.update({ message: "Done" }); })
   */
  action(actionId: string, handler: ActionHandler): this {
    this.interactions.addAction(actionId, handler);
    return this;
  }

  /**
   * Submissions of dialogs opened with `ctx.openDialog({callback_id, …})`; return `{errors}` to keep it open.
   * @example bot.dialog("addtodo", (ctx) => (ctx.submission.text ? undefined : { errors: { text: "Required" } }))
   */
  dialog(callbackId: string, handler: DialogHandler): this {
    this.interactions.addDialog(callbackId, handler);
    return this;
  }

  /** The bot was given the `http` option: slash commands, buttons and dialogs can reach it once started. */
  get receivesHttp(): boolean {
    return this.options.http !== undefined;
  }

  /**
   * The HTTP receiver as handlers to mount in your server, at the path of `http.publicUrl`
   * (without `http.listen` the bot does not listen itself); they answer 503 until `start()`.
   * @example createServer((req, res) => (req.url?.startsWith("/mattermost/") ? bot.httpHandler.node(req, res) : app(req, res)))
   */
  readonly httpHandler: HttpHandler = lateHttpHandler(() => this.httpReceiver, "the bot is not started: call bot.start()");

  /** Where Mattermost reaches the bot's HTTP receiver (after `start()`, with the `http` option). */
  get httpUrl(): string {
    if (!this.httpReceiver) throw new Error("the bot has no HTTP receiver: give the http option and call bot.start()");
    return this.httpReceiver.publicUrl;
  }

  /** Replaces the default error handler. */
  catch(handler: ErrorHandler): this {
    this.errorHandler = handler;
    return this;
  }

  /** The bot's own user, known after `init()`/`start()`. */
  get user(): UserProfile {
    if (!this.me) throw new Error("the bot is not started: call bot.start() (or bot.init()) first");
    return this.me;
  }

  /** The bot's store (SQLite or PostgreSQL), open after `init()`/`start()`; apps keep their data there. */
  get store(): Store {
    if (!this.storeHandle) throw new Error("the bot is not started: call bot.start() (or bot.init()) first");
    return this.storeHandle;
  }

  /** Opens the store and learns who the bot is; `start()` calls it. Use alone to `handle()` events in tests. */
  async init(): Promise<void> {
    if (this.me) return;
    if (typeof this.options.store === "object") this.storeHandle = this.options.store;
    else {
      this.storeHandle = await openStore(this.options.store ?? "sqlite:./data/mmbot.db", { logger: this.logger });
      this.ownsStore = true;
    }
    this.outbox = new Outbox({ store: this.storeHandle.outbox, client: this.client, logger: this.logger });
    this.me = await this.client.getMe();
  }

  /** Connects over WebSocket and handles events until `stop()`. Resolves once connected. */
  async start(): Promise<void> {
    await this.init();
    const store = this.store;
    this.outbox!.start();
    if (this.options.http) await this.startHttp(this.options.http);
    this.receiver = new WebSocketReceiver({
      url: this.options.url,
      token: this.options.token,
      client: this.client,
      logger: this.logger,
      ...this.options.websocket,
      cursor: {
        load: async () => {
          const value = await store.kv.get("catchup.cursor");
          return value === undefined ? undefined : Number(value);
        },
        save: (ms) => store.kv.set("catchup.cursor", String(ms)),
      },
      onEvent: (event) => void this.handle(event),
    });
    await this.receiver.start();
    this.logger.info({ user: this.user.username, userId: this.user.id }, `connected as @${this.user.username}`);
  }

  /** Stops receiving, lets running handlers finish and their replies go out, closes the store. */
  async stop(): Promise<void> {
    await this.httpReceiver?.stop();
    this.httpReceiver = undefined;
    await this.receiver?.stop();
    this.receiver = undefined;
    await this.queue.drain();
    await this.interactions.drain();
    this.outbox?.stop();
    if (this.ownsStore) await this.storeHandle?.close();
    this.storeHandle = undefined;
    this.me = undefined;
  }

  /**
   * Sends a post as the bot through the outbox, outside any handler. Long text is split at
   * Mattermost's limit; `fileIds` (from `client.uploadFile`) go with the last part.
   */
  async send(channelId: string, message: string, options: { rootId?: string; props?: Record<string, unknown>; attachments?: MessageAttachment[]; fileIds?: string[] } = {}) {
    if (!this.outbox) throw new Error("the bot is not started: call bot.start() (or bot.init()) first");
    const props = options.attachments ? { ...options.props, attachments: this.signAttachments(options.attachments, channelId) } : options.props;
    return this.outbox.send(postEntries({ channelId, rootId: options.rootId ?? "", text: message, props, fileIds: options.fileIds }));
  }

  /**
   * Adds outgoing-webhook trigger words (as `http.triggerWords`): a post starting with one is
   * addressed to the bot whether it arrives over WebSocket or the webhook. For apps that answer one.
   */
  addTriggerWords(...words: string[]): this {
    for (const word of words) if (!this.triggerWords.includes(word)) this.triggerWords.push(word);
    return this;
  }

  /**
   * Handles one event as if a receiver had produced it: dedupe, policy, handlers. Post events
   * of one channel run in order. The in-process entry point for tests and for receivers.
   */
  handle(raw: InboundEvent | (Omit<InboundEvent, "source"> & { source: BotEvent["source"] })): Promise<void> {
    const event = toBotEvent(raw);
    if (event.type === "posted" && event.post && !this.seenPosts.add(event.post.id)) return Promise.resolve();
    return this.queue.push(event.channelId || "-", () => this.process(event));
  }

  private async process(event: BotEvent): Promise<void> {
    const me = this.user;
    const post = event.post;
    if (event.type === "posted" && post) {
      if (post.user_id === me.id) return; // our own echo: not worth a store write
      if (!(await this.store.claims.claim(`post:${post.id}`, this.instanceId))) return;
    }
    const triggerWords = this.triggerWords;
    if (post && event.type === "posted" && !event.triggerWord && triggerWords.length) event.triggerWord = leadingTriggerWord(post.message, triggerWords);
    const sender = post ? await this.client.getUser(post.user_id).catch(() => undefined) : undefined;
    const decision = decide(event, me, sender, this.policy);
    if (decision.action === "drop") {
      this.logger.debug({ postId: post?.id, reason: decision.reason }, "event dropped by policy");
      return;
    }
    const ctx = new Context(
      event,
      { client: this.client, outbox: this.outbox!, logger: this.logger, me, threadReplies: this.policy.threadReplies, signAttachments: this.signAttachments },
      sender,
    );
    if (decision.action === "refuse") {
      this.logger.info({ postId: post?.id, userId: post?.user_id, reason: decision.reason }, "refused a user");
      await ctx.ephemeral(`Sorry, you are not allowed to use @${me.username}. Ask an admin to add you to policy.allowed_users.`).catch((error: unknown) =>
        this.logger.warn({ err: error }, "could not send the refusal"),
      );
      return;
    }
    if (post) {
      ctx.isMention = isAddressed(event, me);
      ctx.text = event.triggerWord ? stripTriggerWord(post.message, event.triggerWord) : stripLeadingMention(post.message, me.username);
    }
    await this.dispatch(ctx);
  }

  private async dispatch(ctx: Context): Promise<void> {
    const typing = ctx.post && ctx.event.type === "posted" ? this.keepTyping(ctx) : undefined;
    try {
      await compose(this.handlers)(ctx);
    } catch (cause) {
      const error = new HandlerError(randomBytes(4).toString("hex"), ctx.event.type, cause);
      this.logger.error({ err: cause, ref: error.reference, postId: ctx.post?.id, channelId: ctx.channelId }, error.message);
      try {
        if (this.errorHandler) await this.errorHandler(error, ctx);
        else if (ctx.post) await ctx.reply(`Sorry, something went wrong while handling that (ref \`${error.reference}\`).`);
      } catch (secondary) {
        this.logger.error({ err: secondary, ref: error.reference }, "the error handler failed too");
      }
    } finally {
      typing?.stop();
    }
  }

  private get answerWithinMs(): number {
    return this.options.http?.answerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS;
  }

  private async startHttp(http: HttpOptions): Promise<void> {
    // without a configured secret, one made on first start and kept in the store: buttons keep
    // working across restarts, and instances sharing a PostgreSQL store agree on it
    this.actionSecret = http.actionSecret ?? (await this.store.kv.setIfAbsent("http.action_secret", randomBytes(32).toString("hex")));
    // one for every request: the bot is started, so who it is no longer changes
    const services: InteractionServices = {
      client: this.client,
      logger: this.logger,
      me: this.user,
      fetch: this.options.fetch ?? globalThis.fetch.bind(globalThis),
      signAttachments: this.signAttachments,
      dialogUrl: (binding) => this.dialogUrl(binding),
    };
    // loaded only by bots that receive HTTP: a WebSocket-only bot starts faster and smaller
    const { HttpReceiver } = await import("../http/receiver.js");
    const receiver = new HttpReceiver({
      listen: http.listen,
      publicUrl: http.publicUrl,
      // and those `mmbot setup` stored when it registered the integrations
      tokens: withStoredTokens(http.tokens ?? {}, await readIntegrationTokens(this.store.kv)),
      actionSecret: this.actionSecret,
      bodyLimitBytes: http.bodyLimitBytes,
      logger: this.logger,
      handlers: {
        outgoingWebhook: (payload) => this.onOutgoingWebhook(payload),
        slash: (payload) => this.interactions.runSlash(payload, services),
        action: (actionId, payload, data) => this.interactions.runAction(actionId, payload, data, services),
        dialog: (payload) => this.interactions.runDialog(payload, services),
      },
    });
    await receiver.start();
    this.httpReceiver = receiver;
  }

  /** The webhook carries no root id: read the post, then handle it like the WebSocket's (deduplicated). */
  private async onOutgoingWebhook(payload: OutgoingWebhookPayload): Promise<object> {
    // already handled (the WebSocket usually delivers first): nothing to read, nothing to do
    if (this.seenPosts.has(payload.post_id)) return {};
    let post: Post;
    try {
      post = await this.client.getPost(payload.post_id);
    } catch (error) {
      const ref = randomBytes(4).toString("hex");
      this.logger.error({ err: error, ref, postId: payload.post_id }, "http: cannot read the post of an outgoing webhook");
      return { text: `Sorry, I could not read that message (ref \`${ref}\`).`, response_type: "comment" };
    }
    // answer when handled (the reply is already posted), or acknowledge at the deadline
    const slot = new AnswerSlot(this.answerWithinMs);
    void this.handle(webhookEvent(payload, post)).then(() => slot.close({}));
    return slot.waitForAnswer();
  }

  /** Points actions at the HTTP receiver and signs them for the channel; plain attachments pass as they are. */
  private readonly signAttachments = (attachments: readonly MessageAttachment[], channelId: string): MessageAttachment[] => {
    if (!attachments.some((a) => a.actions?.length)) return [...attachments];
    const secret = this.actionSecret;
    if (!secret || !this.httpReceiver) {
      throw new Error("buttons and menus need the bot's http option with actionSecret (and publicUrl where Mattermost reaches the bot), and a started bot");
    }
    return signAttachments(attachments, channelId, { publicUrl: this.httpReceiver.publicUrl, secret, ttlMs: this.options.http?.actionTtlMs ?? DEFAULT_ACTION_TTL_MS });
  };

  private dialogUrl(binding: DialogBinding): string {
    const secret = this.actionSecret;
    if (!secret || !this.httpReceiver) throw new Error("dialogs need the bot's http option with actionSecret, and a started bot");
    return routeUrls.dialogs(this.httpReceiver.publicUrl, signDialog(secret, binding, Date.now() + DIALOG_TTL_MS));
  }

  /** Typing indicator for handlers that take a while; fast answers don't flash it. */
  private keepTyping(ctx: Context): { stop(): void } {
    const send = () => void ctx.typing().catch((error: unknown) => this.logger.debug({ err: error }, "typing failed"));
    let interval: NodeJS.Timeout | undefined;
    const delay = setTimeout(() => {
      send();
      interval = setInterval(send, this.options.typingIntervalMs ?? 4_000);
    }, this.options.typingDelayMs ?? 300);
    return {
      stop() {
        clearTimeout(delay);
        clearInterval(interval);
      },
    };
  }
}
