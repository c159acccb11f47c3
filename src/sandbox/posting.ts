/**
 * Posts, replies, reactions, files and ephemeral messages: the same validation for the REST API
 * and the in-process API, and the events the server broadcasts for each change.
 */
import type { CreatePostInput, Post, Reaction } from "../mattermost/types.js";
import { normaliseAttachments, type ActionIntegration } from "./attachments.js";
import { ERRORS, fail } from "./errors.js";
import { newId } from "./ids.js";
import { postingTables } from "./persistence/posting-tables.js";
import type { Table } from "./persistence/table.js";
import {
  fileWire,
  hashtagsOf,
  postWire,
  reactionWire,
  type FileRecord,
  type PostRecord,
  type ReactionRecord,
} from "./wire.js";
import { target, type Broadcaster, type World } from "./world.js";

/** The 5.37 server's `MaxPostSize` (its `Message` column); a sandbox may be given another. */
export const MAX_MESSAGE_RUNES = 16_383;
const MAX_PROPS_RUNES = 8_000;
const PENDING_TTL_MS = 30_000; // the server's pending-post-id cache lifetime

/** Users' online status (the hub). */
export interface Presence {
  setOnline(userId: string): void;
}

interface PostWaiter {
  predicate: (post: Post) => boolean;
  resolve: (post: Post) => void;
}

export class Posting {
  private readonly posts = new Map<string, PostRecord>();
  private readonly byChannel = new Map<string, string[]>();
  private readonly replies = new Map<string, string[]>();
  private readonly pending = new Map<string, { postId: string; expires: number }>();
  private readonly files = new Map<string, FileRecord>();
  private readonly reactions = new Map<string, ReactionRecord[]>();
  private readonly ephemeral = new Map<string, Post[]>();
  /** Integrations of message-attachment actions, by post id then action id (for the click route). */
  readonly actionIntegrations = new Map<string, Map<string, ActionIntegration>>();
  private readonly waiters = new Set<PostWaiter>();
  /** Called after a post is created by a person, a bot or a command (outgoing webhooks fire from here). */
  onPosted: ((post: Post) => void) | undefined;

  constructor(
    private readonly world: World,
    private readonly events: Broadcaster,
    private readonly presence: Presence,
    /** The longest message taken, in runes: what `MaxPostSize` of the client config says. */
    readonly maxPostSize = MAX_MESSAGE_RUNES,
    /** How long a `pending_post_id` is remembered (the server's cache: 30 s). */
    private readonly pendingTtlMs = PENDING_TTL_MS,
  ) {}

  /**
   * Creates a post as `userId`; a repeated `pending_post_id` returns the first post unchanged.
   * No permission check: the server makes these posts itself (webhooks, command responses, join
   * messages); `createAsUser` checks that the poster is a channel member or an admin.
   * `triggerWebhooks: false` for posts made by webhooks, as the server does to avoid loops.
   */
  create(
    userId: string,
    input: CreatePostInput,
    system?: { type: string; props: Record<string, unknown> },
    options: { triggerWebhooks?: boolean } = {},
  ): Post {
    const channel = this.world.channels.get(input.channel_id);
    if (!channel) fail(ERRORS.permissions);
    const pendingId = input.pending_post_id ?? "";
    const first = this.repeated(pendingId);
    if (first) {
      // the recorded server answers from its store here: no metadata, pending id cleared
      const again = this.wire(first, false);
      (again as { pending_post_id: string }).pending_post_id = "";
      return again;
    }
    const message = input.message ?? "";
    if (typeof message !== "string" || longerThan(message, this.maxPostSize))
      fail(ERRORS.invalidMessage);
    const props: Record<string, unknown> = { ...(system?.props ?? input.props ?? {}) };
    if (longerThan(JSON.stringify(props), MAX_PROPS_RUNES)) fail(ERRORS.invalidProps);
    const rootId = input.root_id ?? "";
    if (rootId) {
      const root = this.posts.get(rootId);
      if (!root || root.delete_at !== 0 || root.root_id !== "" || root.channel_id !== channel.id)
        fail(ERRORS.invalidRootId);
    }
    const user = this.world.users.get(userId)!;
    if (user.is_bot) props.from_bot = "true";
    const integrations = normaliseAttachments(props);
    const now = Date.now();
    const fileIds = (input.file_ids ?? []).filter((id) => {
      const file = this.files.get(id);
      return file !== undefined && file.user_id === userId && file.post_id === "";
    });
    const list = this.byChannel.get(channel.id) ?? [];
    this.byChannel.set(channel.id, list);
    const record: PostRecord = {
      id: newId(),
      create_at: now,
      update_at: now,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: userId,
      channel_id: channel.id,
      root_id: rootId,
      original_id: "",
      message,
      type: system?.type ?? "",
      props: sortKeys(props),
      hashtags: hashtagsOf(message),
      file_ids: fileIds,
      pending_post_id: pendingId,
      channelIndex: list.length,
    };
    for (const id of fileIds) {
      const file = this.files.get(id)!;
      file.post_id = record.id;
      file.channel_id = channel.id;
    }
    this.posts.set(record.id, record);
    list.push(record.id);
    if (integrations.size > 0) this.actionIntegrations.set(record.id, integrations);
    if (rootId) {
      const thread = this.replies.get(rootId);
      if (thread) thread.push(record.id);
      else this.replies.set(rootId, [record.id]);
    }
    channel.last_post_at = now;
    channel.total_msg_count++;
    if (!rootId) channel.total_msg_count_root++;
    if (pendingId) this.rememberPending(pendingId, record.id, now);

    const post = this.wire(record);
    const data: Record<string, unknown> = {
      channel_display_name: channel.type === "D" ? `@${user.username}` : channel.display_name,
      channel_name: channel.name,
      channel_type: channel.type,
    };
    const mentions = this.mentions(record, system?.props);
    if (mentions.length > 0) data.mentions = JSON.stringify(mentions);
    if (fileIds.length > 0) {
      const images = fileIds.some((id) => this.files.get(id)!.mime_type.startsWith("image/"));
      data[images ? "image" : "otherFile"] = "true";
    }
    data.post = JSON.stringify(post);
    data.sender_name = record.type.startsWith("system_") ? "System" : `@${user.username}`;
    if (props.from_webhook === "true" && typeof props.override_username === "string")
      data.sender_name = props.override_username;
    data.set_online = true;
    data.team_id = channel.team_id;
    this.events.broadcast({ event: "posted", data, broadcast: target({ channel_id: channel.id }) });
    for (const waiter of this.waiters) {
      if (waiter.predicate(post)) {
        this.waiters.delete(waiter);
        waiter.resolve(post);
      }
    }
    if (options.triggerWebhooks !== false && !record.type.startsWith("system_"))
      this.onPosted?.(post);
    return post;
  }

  /**
   * A post made by a user through the API (`POST /posts`): `create`, then, like the server's
   * `CreatePostAsUser`, the channel is marked viewed for the poster (`channel_viewed` to their
   * own connections) unless the post has `from_webhook` or `from_bot`. A repeated
   * `pending_post_id` returns before `from_bot` is added, so a bot's repeat does mark it: the
   * recorded bot connection gets `channel_viewed` right after it (scenario pending-post-id).
   * Then the poster is online (`set_online`, default true), as the server's `createPost` does.
   */
  createAsUser(userId: string, input: CreatePostInput, setOnline = true): Post {
    const channel = this.world.channels.get(input.channel_id);
    if (!channel || !this.world.canAct(userId, channel)) fail(ERRORS.permissions);
    const repeat = this.repeated(input.pending_post_id ?? "") !== undefined;
    const post = this.create(userId, input);
    const props = repeat ? (input.props ?? {}) : post.props;
    if (!("from_webhook" in props) && !("from_bot" in props)) {
      const member = this.world.member(post.channel_id, userId);
      if (member) member.last_viewed_at = Date.now();
      this.events.broadcast({
        event: "channel_viewed",
        data: { channel_id: post.channel_id },
        broadcast: target({ user_id: userId }),
      });
    }
    if (setOnline) this.presence.setOnline(userId);
    return post;
  }

  /** Changes a post's message (and props, when given) as its author or an admin. */
  edit(
    userId: string,
    postId: string,
    patch: { message?: string; props?: Record<string, unknown>; is_pinned?: boolean },
  ): Post {
    const record = this.editable(userId, postId);
    if (
      patch.message !== undefined &&
      (typeof patch.message !== "string" || longerThan(patch.message, this.maxPostSize))
    ) {
      fail(ERRORS.invalidMessage);
    }
    const now = Date.now();
    // as the server: only a changed message is an edit (a pin or new props leave edit_at alone)
    if (patch.message !== undefined && patch.message !== record.message) {
      record.message = patch.message;
      record.hashtags = hashtagsOf(patch.message);
      record.edit_at = now;
    }
    if (patch.props !== undefined) {
      // new props replace the old as they are: the server sets from_bot only when a bot creates a post
      const props = { ...patch.props };
      const integrations = normaliseAttachments(props);
      if (integrations.size > 0) this.actionIntegrations.set(record.id, integrations);
      else this.actionIntegrations.delete(record.id);
      record.props = sortKeys(props);
    }
    if (patch.is_pinned !== undefined) record.is_pinned = patch.is_pinned;
    record.update_at = now;
    const post = this.wire(record);
    this.events.broadcast({
      event: "post_edited",
      data: { post: JSON.stringify(post) },
      broadcast: target({ channel_id: record.channel_id }),
    });
    return post;
  }

  /** Deletes a post (a root takes its replies with it) as its author or an admin. */
  remove(userId: string, postId: string): void {
    const record = this.editable(userId, postId);
    // the recorded event carries the post as it was before the delete, read without its
    // thread's count: `reply_count` is 0 even for a reply in a thread of 2 (scenario bot-deletes)
    const before: Post = { ...this.wire(record), reply_count: 0 };
    const now = Date.now();
    record.delete_at = now;
    record.update_at = now;
    if (record.root_id) {
      const thread = this.replies.get(record.root_id);
      if (thread) thread.splice(thread.indexOf(record.id), 1);
    } else {
      for (const id of this.replies.get(record.id) ?? []) {
        const reply = this.posts.get(id)!;
        reply.delete_at = now;
        reply.update_at = now;
      }
      this.replies.delete(record.id);
    }
    this.events.broadcast({
      event: "post_deleted",
      data: { post: JSON.stringify(before) },
      broadcast: target({ channel_id: record.channel_id }),
    });
  }

  react(userId: string, postId: string, emojiName: string): Reaction {
    const record = this.readable(userId, postId);
    const list = this.reactions.get(postId) ?? [];
    this.reactions.set(postId, list);
    const existing = list.find((r) => r.user_id === userId && r.emoji_name === emojiName);
    if (existing) return reactionWire(existing);
    const reaction: ReactionRecord = {
      user_id: userId,
      post_id: postId,
      emoji_name: emojiName,
      create_at: Date.now(),
    };
    list.push(reaction);
    const wire = reactionWire(reaction);
    this.events.broadcast({
      event: "reaction_added",
      data: { reaction: JSON.stringify(wire) },
      broadcast: target({ channel_id: record.channel_id }),
    });
    return wire;
  }

  unreact(userId: string, postId: string, emojiName: string): void {
    const record = this.readable(userId, postId);
    const list = this.reactions.get(postId) ?? [];
    const index = list.findIndex((r) => r.user_id === userId && r.emoji_name === emojiName);
    if (index < 0) return;
    const [removed] = list.splice(index, 1);
    const wire = reactionWire(removed!, Date.now());
    this.events.broadcast({
      event: "reaction_removed",
      data: { reaction: JSON.stringify(wire) },
      broadcast: target({ channel_id: record.channel_id }),
    });
  }

  reactionsOf(postId: string): Reaction[] {
    return (this.reactions.get(postId) ?? []).map((r) => reactionWire(r));
  }

  /** Shows "typing" to the channel's other members. */
  typing(userId: string, channelId: string, parentId = ""): void {
    if (!this.world.member(channelId, userId)) fail(ERRORS.permissions);
    this.events.broadcast({
      event: "typing",
      data: { parent_id: parentId, user_id: userId },
      broadcast: target({ channel_id: channelId, omit: userId }),
    });
  }

  /**
   * A post only `toUserId` sees; never stored. Needs `create_post_ephemeral`, which in 5.37 only
   * the system admin role has: a bot with its default roles gets 403 (fixture posts-ephemeral).
   */
  sendEphemeral(
    senderId: string,
    toUserId: string,
    input: { channel_id: string; message: string; root_id?: string },
  ): Post {
    if (!this.world.users.has(senderId) || !this.world.isAdmin(senderId)) fail(ERRORS.permissions);
    if (!this.world.channels.has(input.channel_id) || !this.world.users.has(toUserId))
      fail(ERRORS.permissions);
    return this.deliverEphemeral(senderId, toUserId, input);
  }

  /** Sends an ephemeral post without a permission check (the server's own answers: commands, actions). */
  deliverEphemeral(
    senderId: string,
    toUserId: string,
    input: {
      channel_id: string;
      message: string;
      root_id?: string;
      props?: Record<string, unknown>;
    },
  ): Post {
    const now = Date.now();
    const root = input.root_id ?? "";
    const props = { ...(input.props ?? {}) };
    normaliseAttachments(props);
    const post = {
      id: newId(),
      create_at: now,
      update_at: now,
      edit_at: 0,
      delete_at: 0,
      is_pinned: false,
      user_id: senderId,
      channel_id: input.channel_id,
      root_id: root,
      parent_id: root,
      original_id: "",
      message: input.message ?? "",
      type: "system_ephemeral",
      props: sortKeys(props),
      hashtags: "",
      pending_post_id: "",
      reply_count: 0,
      last_reply_at: 0,
      participants: null,
      metadata: {},
    } as unknown as Post;
    const list = this.ephemeral.get(toUserId) ?? [];
    this.ephemeral.set(toUserId, list);
    list.push(post);
    this.events.broadcast({
      event: "ephemeral_message",
      data: { post: JSON.stringify(post) },
      broadcast: target({ user_id: toUserId, channel_id: input.channel_id }),
    });
    return post;
  }

  ephemeralFor(userId: string): Post[] {
    return [...(this.ephemeral.get(userId) ?? [])];
  }

  /** Stores an uploaded file for `userId`, to attach to a post by id. */
  upload(userId: string, channelId: string, name: string, bytes: Buffer): FileRecord {
    const channel = this.world.channels.get(channelId);
    // the server's `upload_file` is a channel member's permission: reading an open channel is not enough
    if (!channel || !this.world.canAct(userId, channel)) fail(ERRORS.permissions);
    const dot = name.lastIndexOf(".");
    const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
    const file: FileRecord = {
      id: newId(),
      user_id: userId,
      post_id: "",
      channel_id: "",
      create_at: Date.now(),
      name,
      extension,
      size: bytes.length,
      mime_type: MIME[extension] ?? "application/octet-stream",
      bytes,
    };
    this.files.set(file.id, file);
    return file;
  }

  /** A file the user may read: its uploader, or a reader of the channel it was posted in. */
  file(userId: string, fileId: string): FileRecord {
    const file = this.files.get(fileId);
    if (!file) fail(ERRORS.fileMissing);
    const channel = file.channel_id ? this.world.channels.get(file.channel_id) : undefined;
    if (file.user_id !== userId && !(channel && this.world.canRead(userId, channel)))
      fail(ERRORS.permissions);
    return file;
  }

  /** What a world file keeps of the posts (src/sandbox/persistence). */
  tables(): Table[] {
    return postingTables({
      posts: this.posts,
      byChannel: this.byChannel,
      replies: this.replies,
      files: this.files,
      reactions: this.reactions,
      actions: this.actionIntegrations,
    });
  }

  /** Pins or unpins a post of a channel the user reads (`post_edited` follows, as on the server). */
  setPinned(userId: string, postId: string, pinned: boolean): Post {
    const record = this.readable(userId, postId);
    record.is_pinned = pinned;
    record.update_at = Date.now();
    const post = this.wire(record);
    this.events.broadcast({
      event: "post_edited",
      data: { post: JSON.stringify(post) },
      broadcast: target({ channel_id: record.channel_id }),
    });
    return post;
  }

  /** A channel's live pinned posts, newest first. */
  pinned(channelId: string): PostRecord[] {
    return this.channelPostIds(channelId)
      .map((id) => this.record(id))
      .filter((r): r is PostRecord => r !== undefined && r.is_pinned)
      .reverse();
  }

  /**
   * Posts of the team's channels (and the user's direct and group channels) that the user is a
   * member of and whose message holds every term (any, with `anyTerm`), newest first. Terms are
   * whole words, case-insensitive; `"quoted phrases"` and a trailing `*` (prefix) as on the server.
   */
  search(userId: string, teamId: string, terms: string, anyTerm: boolean): PostRecord[] {
    const words = [...terms.matchAll(/"([^"]+)"|(\S+)/g)]
      .map((m) => (m[1] ?? m[2]!).toLowerCase())
      .filter((w) => !w.includes(":"));
    if (words.length === 0) return [];
    const matchers = words.map((w) => {
      const prefix = w.endsWith("*");
      const text = (prefix ? w.slice(0, -1) : w).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      return new RegExp(`(^|[^\\p{L}\\p{N}_])${text}${prefix ? "" : "($|[^\\p{L}\\p{N}_])"}`, "iu");
    });
    const found: PostRecord[] = [];
    for (const channel of this.world.channelsOf(userId)) {
      if (channel.team_id !== teamId && channel.team_id !== "") continue;
      for (const id of this.channelPostIds(channel.id)) {
        const record = this.record(id);
        if (!record || record.type.startsWith("system_")) continue;
        const hits = matchers.filter((m) => m.test(record.message)).length;
        if (anyTerm ? hits > 0 : hits === matchers.length) found.push(record);
      }
    }
    return found.sort((a, b) => b.create_at - a.create_at);
  }

  /** The live (not deleted) post record. */
  record(postId: string): PostRecord | undefined {
    const record = this.posts.get(postId);
    return record && record.delete_at === 0 ? record : undefined;
  }

  /** Post ids of a channel in creation order, deleted ones included. */
  channelPostIds(channelId: string): readonly string[] {
    return this.byChannel.get(channelId) ?? [];
  }

  anyRecord(postId: string): PostRecord | undefined {
    return this.posts.get(postId);
  }

  replyIds(rootId: string): readonly string[] {
    return this.replies.get(rootId) ?? [];
  }

  /** The post as the server sends it, with its thread's reply count and its metadata. */
  wire(record: PostRecord, withMetadata = true): Post {
    const rootId = record.root_id || record.id;
    const replyCount = this.replies.get(rootId)?.length ?? 0;
    if (!withMetadata) return postWire(record, replyCount, undefined);
    const metadata: Record<string, unknown> = {};
    if (Array.isArray(record.props.attachments) && record.props.attachments.length > 0)
      metadata.embeds = [{ type: "message_attachment" }];
    if (record.file_ids.length > 0)
      metadata.files = record.file_ids.map((id) => fileWire(this.files.get(id)!));
    const reactions = this.reactions.get(record.id);
    if (reactions && reactions.length > 0)
      metadata.reactions = reactions.map((r) => reactionWire(r));
    const post = postWire(record, replyCount, metadata);
    if (metadata.reactions) (post as { has_reactions?: boolean }).has_reactions = true;
    return post;
  }

  /** An existing post matching `predicate`, or the next one created. */
  waitForPost(predicate: (post: Post) => boolean, timeoutMs: number): Promise<Post> {
    for (const record of this.posts.values()) {
      if (record.delete_at !== 0) continue;
      const post = this.wire(record);
      if (predicate(post)) return Promise.resolve(post);
    }
    return new Promise((resolve, reject) => {
      const waiter: PostWaiter = {
        predicate,
        resolve: (post) => {
          clearTimeout(timer);
          resolve(post);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`waitForPost: no matching post within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private editable(userId: string, postId: string): PostRecord {
    const record = this.record(postId);
    if (!record || (record.user_id !== userId && !this.world.isAdmin(userId)))
      fail(ERRORS.permissions);
    return record;
  }

  private readable(userId: string, postId: string): PostRecord {
    const record = this.record(postId);
    const channel = record && this.world.channels.get(record.channel_id);
    if (!record || !channel || !this.world.canRead(userId, channel)) fail(ERRORS.permissions);
    return record;
  }

  /** Users notified by a post: @-mentioned members, everyone on @channel/@all/@here, the other side of a DM. */
  private mentions(record: PostRecord, systemProps?: Record<string, unknown>): string[] {
    const channel = this.world.channels.get(record.channel_id)!;
    const found = new Set<string>();
    if (systemProps && typeof systemProps.addedUserId === "string")
      found.add(systemProps.addedUserId);
    if (channel.type === "D") {
      for (const id of this.world.channelMemberIds(channel.id).keys())
        if (id !== record.user_id) found.add(id);
    } else if (!record.type.startsWith("system_") && record.message.includes("@")) {
      for (const match of record.message.matchAll(/@([a-z0-9._-]+)/gi)) {
        const name = match[1]!.toLowerCase().replace(/[._-]+$/, "");
        if (name === "channel" || name === "all" || name === "here") {
          for (const id of this.world.channelMemberIds(channel.id).keys()) found.add(id);
          continue;
        }
        const user = this.world.userByName(name);
        if (user && this.world.member(channel.id, user.id)) found.add(user.id);
      }
    }
    found.delete(record.user_id);
    return [...found];
  }

  /** The live post first created with this `pending_post_id`, if any. */
  private repeated(pendingId: string): PostRecord | undefined {
    const seen = pendingId ? this.pending.get(pendingId) : undefined;
    return seen && seen.expires > Date.now() ? this.posts.get(seen.postId) : undefined;
  }

  private rememberPending(pendingId: string, postId: string, now: number): void {
    this.pending.set(pendingId, { postId, expires: now + this.pendingTtlMs });
    // insertion order is expiry order: drop the expired head
    for (const [key, entry] of this.pending) {
      if (entry.expires > now) break;
      this.pending.delete(key);
    }
  }
}

const MIME: Record<string, string> = {
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  json: "application/json",
  pdf: "application/pdf",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  zip: "application/zip",
  html: "text/html; charset=utf-8",
};

/** Whether `text` has more than `limit` code points (the server counts runes); cheap when it cannot. */
function longerThan(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let n = 0;
  for (const _ of text) if (++n > limit) return true;
  return false;
}

/** Go marshals maps with sorted keys. */
function sortKeys(props: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(props);
  if (keys.length < 2) return props;
  const out: Record<string, unknown> = {};
  for (const key of keys.sort()) out[key] = props[key];
  return out;
}
