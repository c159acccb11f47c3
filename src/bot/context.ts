import type { Post, UserProfile } from "../mattermost/types.js";
import { sendEphemeral } from "./ephemeral.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { Logger } from "../log.js";
import type { MessageAttachment } from "../http/attachments.js";
import type { BotEvent } from "./event.js";
import type { Outbox } from "./outbox.js";
import { postEntries } from "./post-entries.js";

/** What a reply can carry besides text. */
export interface ReplyOptions {
  text: string;
  props?: Record<string, unknown>;
  fileIds?: string[];
  /** Attachments; their buttons and menus (`button()`, `select()`) are signed for this channel. */
  attachments?: MessageAttachment[];
  /** Post in the channel instead of the thread, whatever `policy.thread_replies` says. */
  inChannel?: boolean;
}

/** The services a context needs from its bot; injected so contexts can be built in tests. */
export interface ContextServices {
  client: MattermostClient;
  outbox: Outbox;
  logger: Logger;
  me: UserProfile;
  threadReplies: boolean;
  /** Points buttons and menus at the bot and signs them (absent without the `http` option). */
  signAttachments?: (attachments: readonly MessageAttachment[], channelId: string) => MessageAttachment[];
}

/**
 * One event as a handler sees it: the post, where it came from, who sent it, and the ways to
 * answer. Built by the bot for every event that passes the policy.
 */
export class Context {
  /** The message with the leading bot mention removed (`@todobot add x` → `add x`). */
  text = "";
  /** Set by `bot.command()`: the matched command word and the rest of the text. */
  command: string | undefined;
  args = "";
  /** Set by `bot.message(RegExp)`. */
  match: RegExpMatchArray | undefined;
  /** The bot was @-mentioned, or the message is in a direct channel. */
  isMention = false;
  /** Free space for middleware to pass things to handlers. */
  readonly state: Record<string, unknown> = {};

  constructor(
    readonly event: BotEvent,
    readonly services: ContextServices,
    /** The resolved author of the post, when the event has one. */
    readonly sender: UserProfile | undefined,
  ) {}

  get post(): Post | undefined {
    return this.event.post;
  }
  get channelId(): string {
    return this.event.channelId;
  }
  get isDirect(): boolean {
    return this.event.channelType === "D";
  }
  /** The id of the thread's root post: replies must name the root, never a reply. */
  get rootId(): string {
    const post = this.event.post;
    return post ? post.root_id || post.id : "";
  }
  get me(): UserProfile {
    return this.services.me;
  }
  get client(): MattermostClient {
    return this.services.client;
  }
  get logger(): Logger {
    return this.services.logger;
  }

  /**
   * Answers in the thread of the root post (or in the channel when `policy.thread_replies` is
   * false and the message was not in a thread). Long text is split at Mattermost's limit.
   * Goes through the durable outbox; resolves with the created posts.
   * @example await ctx.reply("Added #1: buy milk")
   */
  async reply(input: string | ReplyOptions): Promise<Post[]> {
    const options = typeof input === "string" ? { text: input } : input;
    const post = this.event.post;
    const rootId = options.inChannel ? "" : this.services.threadReplies ? this.rootId : (post?.root_id ?? "");
    const props = options.attachments ? { ...options.props, attachments: this.signed(options.attachments) } : options.props;
    return this.services.outbox.send(postEntries({ channelId: this.channelId, rootId, text: options.text, props, fileIds: options.fileIds }));
  }

  private signed(attachments: MessageAttachment[]): MessageAttachment[] {
    if (this.services.signAttachments) return this.services.signAttachments(attachments, this.channelId);
    if (attachments.some((a) => a.actions?.length)) throw new Error("buttons and menus need the bot's http option with actionSecret");
    return attachments;
  }

  /** Shows "bot is typing…" in this thread for a few seconds. */
  async typing(): Promise<void> {
    await this.client.sendTyping(this.me.id, this.channelId, this.services.threadReplies ? this.rootId : "");
  }

  /** Adds an emoji reaction (name without colons) to the post. */
  async react(emojiName: string): Promise<void> {
    const post = this.event.post;
    if (!post) throw new Error("react() needs an event with a post");
    await this.client.addReaction(this.me.id, post.id, emojiName);
  }

  /**
   * A message only the sender sees; not stored by the server, so not sent through the outbox.
   * A bot without the System Admin role may not: it then goes as a direct message.
   */
  async ephemeral(text: string): Promise<Post> {
    const userId = this.sender?.id ?? this.event.post?.user_id;
    if (!userId) throw new Error("ephemeral() needs an event with a sender");
    return sendEphemeral({ client: this.client, me: this.me, logger: this.logger }, userId, { channel_id: this.channelId, message: text, root_id: this.rootId });
  }
}
