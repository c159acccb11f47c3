/**
 * What a handler sees: one base for every kind of event (who, where, how to answer), and the
 * contexts of the kinds that come over the WebSocket (a message, a reaction, any other event).
 * The interactions' contexts (slash, action, dialog) are in `interaction-context.ts`.
 */
import type { MessageAttachment } from "../http/attachments.js";
import type { DialogBinding } from "../http/signature.js";
import type { Logger } from "../log.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { Post, UserProfile } from "../mattermost/types.js";
import { sendEphemeral } from "./ephemeral.js";
import type { ChannelRef, Envelope, EventEnvelope, MessageEnvelope, ReactionEnvelope, UserRef } from "./envelope.js";
import type { Outbox } from "./outbox.js";
import { isAddressed, stripLeadingMention } from "./policy.js";
import { postClaimId } from "./claim-keeper.js";
import { postEntries } from "./post-entries.js";
import { streamReply, type StreamReplyOptions } from "./stream-reply.js";
import { stripTriggerWord } from "./trigger-words.js";

/** What a reply can carry besides text. */
export interface ReplyOptions {
  text: string;
  props?: Record<string, unknown>;
  fileIds?: string[];
  /** Attachments; their buttons and menus (`button()`, `select()`) are signed for this channel. */
  attachments?: MessageAttachment[];
  /** Post in the channel instead of the thread, whatever the bot's `threadReplies` says. */
  inChannel?: boolean;
}

/** Where buttons, menus and dialogs send their clicks: given by the HTTP source once it is started. */
export interface InteractionUrls {
  /** Points the actions at the bot and signs them for a channel. */
  signAttachments(attachments: readonly MessageAttachment[], channelId: string): MessageAttachment[];
  /** The signed URL a dialog submits to. */
  dialogUrl(binding: DialogBinding): string;
}

/** The services a context needs from its bot; injected so contexts can be built in tests. */
export interface ContextServices {
  client: MattermostClient;
  outbox: Outbox;
  logger: Logger;
  me: UserProfile;
  threadReplies: boolean;
  fetch: typeof fetch;
  /** Absent until an HTTP source is started: then buttons and dialogs cannot be used. */
  interactions(): InteractionUrls | undefined;
}

/**
 * The base of every context: the envelope, who and where, and the ways to answer.
 * @example bot.use(async (ctx, next) => { ctx.logger.info({ kind: ctx.kind, user: ctx.user.name }, "event"); await next(); })
 */
export class Context<E extends Envelope = Envelope> {
  /** Free space for middleware to pass things to handlers. */
  readonly state: Record<string, unknown> = {};
  private childLogger: Logger | undefined;

  constructor(
    readonly envelope: E,
    readonly services: ContextServices,
  ) {}

  get kind(): E["kind"] {
    return this.envelope.kind;
  }
  /** The event's id (a post id, a trigger id…), in every log line about it. */
  get id(): string {
    return this.envelope.id;
  }
  get user(): UserRef {
    return this.envelope.user;
  }
  get channel(): ChannelRef {
    return this.envelope.channel;
  }
  get channelId(): string {
    return this.envelope.channel.id;
  }
  get teamId(): string {
    return this.envelope.teamId;
  }
  get isDirect(): boolean {
    return this.envelope.channel.type === "D";
  }
  get me(): UserProfile {
    return this.services.me;
  }
  get client(): MattermostClient {
    return this.services.client;
  }
  /** The bot's logger, every line carrying this event's id and kind. */
  get logger(): Logger {
    this.childLogger ??= this.services.logger.child({ eventId: this.envelope.id, kind: this.envelope.kind });
    return this.childLogger;
  }

  /** The thread a reply goes to ("" for the channel). */
  protected async replyRoot(): Promise<string> {
    return "";
  }

  /** What the replies' outbox entries are made for, when a run again must make the same entries (a claimed post). */
  protected outboxScope(): string | undefined {
    return undefined;
  }

  private entriesMade = 0;
  private readonly holds: Promise<unknown>[] = [];

  /**
   * Answers as the bot, in the thread of the event's post when it has one (a message, a reaction,
   * a click), else in the channel. Long text is split at Mattermost's limit. Goes through the
   * durable outbox; resolves with the created posts. Text that comes in pieces (an
   * `AsyncIterable<string>`) is streamed: see `stream()`.
   * @example await ctx.reply("Added #1: buy milk")
   */
  async reply(input: string | ReplyOptions | AsyncIterable<string>): Promise<Post[]> {
    if (isAsyncIterable(input)) return this.stream(input);
    const options = typeof input === "string" ? { text: input } : input;
    const rootId = options.inChannel ? "" : await this.replyRoot();
    const props = options.attachments ? { ...options.props, attachments: this.signed(options.attachments) } : options.props;
    const entries = postEntries({ channelId: this.channelId, rootId, text: options.text, props, fileIds: options.fileIds });
    const scope = this.outboxScope();
    return this.services.outbox.send(scope === undefined ? entries : entries.map((e) => ({ ...e, once: { scope, seq: this.entriesMade++ } })));
  }

  /**
   * Answers with text as it comes: "typing…" until the first piece, then a post created with
   * it and edited with the whole text so far at most once a second, a last edit for the final
   * text; a long answer goes on in new posts of the thread. Resolves once the final text is in.
   * @example await ctx.stream(model.answer(ctx.text))
   */
  async stream(chunks: AsyncIterable<string>, options: StreamReplyOptions & { inChannel?: boolean; props?: Record<string, unknown> } = {}): Promise<Post[]> {
    // made once like replies: a post handled again edits the posts of its first run's stream
    const scope = this.outboxScope();
    const once = scope === undefined ? undefined : { scope: `${scope}/stream/${this.entriesMade++}` };
    const rootId = options.inChannel ? "" : await this.replyRoot();
    const { client, outbox } = this.services;
    return streamReply(chunks, { client, outbox, logger: this.logger, channelId: this.channelId, rootId, props: options.props, once }, { typing: () => this.typing(), ...options });
  }

  /**
   * A key for a side effect of this handling (a row an app inserts, a call to another service
   * that takes an idempotency key): the same every time this event is handled, so an effect
   * stored under it with a unique constraint happens once. A post whose instance was killed
   * mid-handling is handled again once its claim's lease runs out, and gets the keys its first
   * run got. `name` tells apart the effects of one handling (an app's name, and more if it makes
   * several). Events that are not handled again (reactions, other events, interactions) get keys
   * of their own delivery.
   * @example await db.insertInto("orders").values({ ..., once_key: ctx.onceKey("shop") }).onConflict((oc) => oc.column("once_key").doNothing()).execute()
   */
  onceKey(name: string): string {
    return `${this.outboxScope() ?? `${this.kind}:${this.id}`}#${name}`;
  }

  /**
   * Makes `work` the handler leaves running (an answer written off the channel's queue, as the
   * agent's) part of this event's handling: a claimed post stays claimed, and renewed, until it
   * settles, so an instance killed before that has the post handled again (the work's replies
   * and `onceKey` effects made once, like the handler's). Call it before the handler returns.
   * A graceful stop waits for it after the apps' `stop` (which should end it).
   */
  holdUntil(work: Promise<unknown>): void {
    this.holds.push(work.catch(() => undefined)); // its failure is the work's to report
  }

  /** What `holdUntil` was given, settled; undefined when nothing. @internal */
  heldWork(): Promise<void> | undefined {
    return this.holds.length === 0 ? undefined : Promise.all(this.holds).then(() => undefined);
  }

  /**
   * A message only this user sees, answering this event: for a message a private post (a direct
   * message when the bot may not post ephemerally), for a slash command its ephemeral answer,
   * for a click the clicker's notice, for an open dialog its error line.
   */
  async ephemeral(text: string): Promise<void> {
    await sendEphemeral(this.services, this.user.id, { channel_id: this.channelId, message: text, root_id: await this.replyRoot() });
  }

  /** Shows "bot is typing…" where a reply would go, for a few seconds. */
  async typing(): Promise<void> {
    await this.client.sendTyping(this.me.id, this.channelId, await this.replyRoot());
  }

  /** Attachments with their actions signed for this channel; throws when the bot receives no clicks. */
  protected signed(attachments: readonly MessageAttachment[]): MessageAttachment[] {
    if (!attachments.some((a) => a.actions?.length)) return [...attachments];
    const urls = this.services.interactions();
    if (!urls) throw new Error("buttons and menus need an HTTP source on the bot (new HttpSource({...})), started, where Mattermost can reach it");
    return urls.signAttachments(attachments, this.channelId);
  }
}

/** A new post. `text` is the message without the leading `@bot` mention or trigger word. */
export class MessageContext extends Context<MessageEnvelope> {
  /** The message addressed to the bot, mention or trigger word removed (`@todobot add x` → `add x`). */
  text: string;
  /** The bot was @-mentioned, named by a trigger word, or the message is in a direct channel. */
  readonly isMention: boolean;
  /** Set by `command()`: the matched command word and the rest of the text. */
  command = "";
  args = "";
  /** Set by `message(RegExp)`. */
  match: RegExpMatchArray | undefined;

  constructor(
    envelope: MessageEnvelope,
    services: ContextServices,
    /** The author, as the server knows them (looked up once by the pipeline). */
    readonly sender: UserProfile | undefined,
  ) {
    super(envelope, services);
    const { post, triggerWord } = envelope;
    this.isMention = isAddressed(envelope, services.me);
    this.text = triggerWord ? stripTriggerWord(post.message, triggerWord) : stripLeadingMention(post.message, services.me.username);
  }

  get post(): Post {
    return this.envelope.post;
  }
  /** The id of the thread's root post: replies must name the root, never a reply. */
  get rootId(): string {
    return this.envelope.post.root_id || this.envelope.post.id;
  }

  protected override async replyRoot(): Promise<string> {
    // a message already in a thread is answered there even when replies go to the channel
    return this.services.threadReplies ? this.rootId : this.envelope.post.root_id;
  }

  // handled again after a crash, the post's answer is the one its first run stored
  protected override outboxScope(): string {
    return postClaimId(this.envelope.post.id);
  }

  /** Adds an emoji reaction (name without colons) to the post. */
  async react(emojiName: string): Promise<void> {
    await this.client.addReaction(this.me.id, this.post.id, emojiName);
  }
}

/** A reaction added to (or removed from) a post; a reply goes to that post's thread. */
export class ReactionContext extends Context<ReactionEnvelope> {
  get added(): boolean {
    return this.envelope.added;
  }
  get emoji(): string {
    return this.envelope.reaction.emoji_name;
  }
  get postId(): string {
    return this.envelope.reaction.post_id;
  }

  protected override async replyRoot(): Promise<string> {
    const post = await this.client.getPost(this.postId);
    return post.root_id || post.id;
  }
}

/** Any other WebSocket event, with the server's `data` and `broadcast` as they came. */
export class EventContext extends Context<EventEnvelope> {
  get name(): string {
    return this.envelope.name;
  }
  get data(): Record<string, unknown> {
    return this.envelope.data;
  }
  get post(): Post | undefined {
    return this.envelope.post;
  }

  protected override async replyRoot(): Promise<string> {
    const post = this.envelope.post;
    return post ? post.root_id || post.id : "";
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<string> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
