/**
 * What a handler sees: one base for every kind of event (who, where, how to answer), and the
 * contexts of the kinds that come over the WebSocket (a message, a reaction, any other event).
 * The interactions' contexts (slash, action, dialog) are in `interaction-context.ts`.
 */
import type { MessageAttachment } from "../http/attachments.js";
import type { Logger } from "../log.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { Post, UserProfile } from "../mattermost/types.js";
import { onceScopeOf, type OnceScope } from "./claims.js";
import { sendEphemeral } from "./ephemeral.js";
import type {
  ChannelRef,
  Envelope,
  EventEnvelope,
  MessageEnvelope,
  ReactionEnvelope,
  UserRef,
} from "./envelope.js";
import { isAddressed, stripLeadingMention } from "./policy.js";
import { postEntries } from "./outbox.js";
import { warnLostOverrides } from "./override-check.js";
import type { BotRuntime } from "./runtime.js";
import { streamReply, type StreamReplyOptions } from "./stream-reply.js";
import { stripTriggerWord } from "./trigger-words.js";

/** Where an answer goes, when not where the bot's replies go by default. */
export interface AnswerPlace {
  /** Post in the channel instead of the thread, whatever the bot's `threadReplies` says. */
  inChannel?: boolean;
  /** Post in the thread of the event's post, even when the bot's replies go to the channel (`threadReplies: false`). */
  inThread?: boolean;
}

/** What a reply can carry besides text. */
export interface ReplyOptions extends AnswerPlace {
  text: string;
  props?: Record<string, unknown>;
  fileIds?: string[];
  /** Attachments; their buttons and menus (`button()`, `select()`) are signed for this channel. */
  attachments?: MessageAttachment[];
}

/** How a streamed answer is written, and where it goes. */
export interface StreamOptions extends StreamReplyOptions, AnswerPlace {
  /** Props of every post of the answer. */
  props?: Record<string, unknown>;
  /**
   * Names the answer's once-scope (`ctx.onceKey(once)`): a post handled again edits the posts
   * this stream made in its first run. Without it the stream takes the next place in the
   * handling's scope, after the replies and streams before it.
   */
  once?: string;
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
    /** The bot's runtime. @internal */
    protected readonly runtime: BotRuntime,
    /** What makes this handling's effects once (a claimed post's claim). @internal */
    protected readonly once: OnceScope = onceScopeOf(envelope),
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
    return this.runtime.me;
  }
  get client(): MattermostClient {
    return this.runtime.client;
  }
  /** The bot's logger, every line carrying this event's id and kind. */
  get logger(): Logger {
    this.childLogger ??= this.runtime.logger.child({
      eventId: this.envelope.id,
      kind: this.envelope.kind,
    });
    return this.childLogger;
  }

  /** The thread a reply goes to ("" for the channel). */
  protected async replyRoot(): Promise<string> {
    return "";
  }

  /** The thread of the event's post ("" when it has none): where `inThread` answers go. */
  protected async threadRoot(): Promise<string> {
    return this.replyRoot();
  }

  private async answerRoot(place: AnswerPlace): Promise<string> {
    return place.inChannel ? "" : place.inThread ? this.threadRoot() : this.replyRoot();
  }

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
    const rootId = await this.answerRoot(options);
    const props = options.attachments
      ? { ...options.props, attachments: this.signed(options.attachments) }
      : options.props;
    warnLostOverrides(this.runtime, props);
    const entries = postEntries({
      channelId: this.channelId,
      rootId,
      text: options.text,
      props,
      fileIds: options.fileIds,
      limit: this.runtime.server.maxPostSize,
    });
    return this.runtime.outbox.send(entries.map((e) => ({ ...e, once: this.once.nextEntry() })));
  }

  /**
   * Answers with text as it comes: "typing…" until the first piece, then a post created with
   * it and edited with the whole text so far at most once a second, a last edit for the final
   * text; a long answer goes on in new posts of the thread. Resolves once the final text is in.
   * A claimed post's stream is made once: handled again, it edits the posts of its first run.
   * @example await ctx.stream(model.answer(ctx.text), { onPost: (post) => answers.add(post.id) })
   */
  async stream(chunks: AsyncIterable<string>, options: StreamOptions = {}): Promise<Post[]> {
    const scope = this.once.nextStream(options.once);
    const rootId = await this.answerRoot(options);
    const typing = options.inThread
      ? () => this.client.sendTyping(this.me.id, this.channelId, rootId)
      : () => this.typing();
    const target = {
      channelId: this.channelId,
      rootId,
      props: options.props,
      once: scope === undefined ? undefined : { scope },
    };
    return streamReply(
      chunks,
      { client: this.client, outbox: this.runtime.outbox, logger: this.logger },
      target,
      { typing, ...options },
    );
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
    return this.once.key(name);
  }

  /**
   * Makes `work` the handler leaves running (an answer written off the channel's queue, as the
   * agent's) part of this event's handling: a claimed post stays claimed, and renewed, until it
   * settles, so an instance killed before that has the post handled again (the work's replies
   * and `onceKey` effects made once, like the handler's). Call it before the handler returns.
   * A graceful stop waits for it after the apps' `stop` (which should end it).
   */
  holdUntil(work: Promise<unknown>): void {
    this.once.hold(work);
  }

  /**
   * A message only this user sees, answering this event: for a message a private post (a direct
   * message when the bot may not post ephemerally), for a slash command its ephemeral answer,
   * for a click the clicker's notice, for an open dialog its error line.
   */
  async ephemeral(text: string): Promise<void> {
    await sendEphemeral(this.runtime, this.user.id, {
      channel_id: this.channelId,
      message: text,
      root_id: await this.replyRoot(),
    });
  }

  /** Shows "bot is typing…" where a reply would go, for a few seconds. */
  async typing(): Promise<void> {
    await this.client.sendTyping(this.me.id, this.channelId, await this.replyRoot());
  }

  /** "typing…" after `delayMs` (fast answers don't flash it), repeated every `intervalMs` until stopped. @internal */
  keepTyping(delayMs: number, intervalMs: number): { stop(): void } {
    const send = () =>
      void this.typing().catch((error: unknown) =>
        this.runtime.logger.debug({ err: error, eventId: this.id }, "typing failed"),
      );
    let interval: NodeJS.Timeout | undefined;
    const delay = setTimeout(() => {
      send();
      interval = setInterval(send, intervalMs);
    }, delayMs);
    return {
      stop() {
        clearTimeout(delay);
        clearInterval(interval);
      },
    };
  }

  /** Attachments with their actions signed for this channel; throws when the bot receives no clicks. */
  protected signed(attachments: readonly MessageAttachment[]): MessageAttachment[] {
    if (!attachments.some((a) => a.actions?.length)) return [...attachments];
    const urls = this.runtime.interactionUrls;
    if (!urls)
      throw new Error(
        "buttons and menus need an HTTP source on the bot (new HttpSource({...})), started, where Mattermost can reach it",
      );
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
    runtime: BotRuntime,
    /** The author, as the server knows them (looked up once by the pipeline). */
    readonly sender: UserProfile | undefined,
    once?: OnceScope,
  ) {
    super(envelope, runtime, once);
    const { post, triggerWord } = envelope;
    this.isMention = isAddressed(envelope, runtime.me);
    this.text = triggerWord
      ? stripTriggerWord(post.message, triggerWord)
      : stripLeadingMention(post.message, runtime.me.username);
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
    return this.runtime.policy.threadReplies ? this.rootId : this.envelope.post.root_id;
  }

  protected override async threadRoot(): Promise<string> {
    return this.rootId;
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

/** The context of an event that comes over the WebSocket (or as a post from REST): a message's with its sender and once-scope. */
export function contextOf(
  envelope: MessageEnvelope | ReactionEnvelope | EventEnvelope,
  runtime: BotRuntime,
  sender: UserProfile | undefined,
  once: OnceScope | undefined,
): Context {
  if (envelope.kind === "message") return new MessageContext(envelope, runtime, sender, once);
  return envelope.kind === "reaction"
    ? new ReactionContext(envelope, runtime)
    : new EventContext(envelope, runtime);
}

function isAsyncIterable(value: unknown): value is AsyncIterable<string> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
