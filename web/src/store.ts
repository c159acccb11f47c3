/**
 * What the page knows and does, in one place: the signed-in user, channels, posts, threads,
 * unread marks, who is typing, the open dialog and the traffic log. Components read `state`
 * and call the actions; every change re-renders (the world of a sandbox is small).
 */
import { addSandboxUser, Api, ApiError, login, sandboxUsers, type SandboxUser } from "./api";
import { Socket } from "./socket";
import type {
  Channel,
  Command,
  OpenedDialog,
  Post,
  PostList,
  TrafficEntry,
  WsEvent,
} from "./types";
import { handleEvent } from "./events";

export interface Typing {
  userId: string;
  parentId: string;
  until: number;
}

export interface OpenDialog {
  opened: OpenedDialog;
  channelId: string;
  errors: Record<string, string>;
  error: string;
}

export interface State {
  me: { id: string; username: string } | undefined;
  teamId: string;
  channels: Channel[];
  users: Map<string, SandboxUser>;
  currentChannelId: string;
  posts: Map<string, Post>;
  /** Post ids per channel, oldest first, ephemeral ones included. */
  order: Map<string, string[]>;
  unread: Set<string>;
  mentions: Map<string, number>;
  threadRootId: string | undefined;
  typing: Map<string, Typing[]>;
  dialog: OpenDialog | undefined;
  commands: Command[];
  traffic: TrafficEntry[];
  /** The last thing that went wrong, shown until the next action. */
  notice: string;
  /** Text for the channel's message box to take (a suggestion clicked), then cleared. */
  draft: string | undefined;
}

const TOKEN_KEY = "mmbot-sandbox-token";
const TYPING_SHOWN_MS = 5_000;
const TYPING_SENT_EVERY_MS = 2_000;
const TRAFFIC_SHOWN = 500;

export class Store {
  state: State = {
    me: undefined,
    teamId: "",
    channels: [],
    users: new Map(),
    currentChannelId: "",
    posts: new Map(),
    order: new Map(),
    unread: new Set(),
    mentions: new Map(),
    threadRootId: undefined,
    typing: new Map(),
    dialog: undefined,
    commands: [],
    traffic: [],
    notice: "",
    draft: undefined,
  };
  api: Api | undefined;
  private socket: Socket | undefined;
  private readonly listeners = new Set<() => void>();
  private lastTypingSent = 0;

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Signs in as `?user=` or the tab's last user (alice the first time); starts the traffic stream. */
  async start(): Promise<void> {
    const source = new EventSource("/sandbox/traffic/stream");
    source.onmessage = (message) => {
      this.state.traffic = [
        ...this.state.traffic,
        JSON.parse(String(message.data)) as TrafficEntry,
      ].slice(-TRAFFIC_SHOWN);
      this.changed();
    };
    const asked = new URLSearchParams(location.search).get("user");
    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (!asked && saved) {
      try {
        return await this.load(new Api(saved));
      } catch {
        sessionStorage.removeItem(TOKEN_KEY); // a sandbox restart forgets sessions
      }
    }
    await this.signIn(asked ?? "alice");
  }

  async signIn(username: string): Promise<void> {
    await this.attempt(async () => {
      const token = await login(username);
      sessionStorage.setItem(TOKEN_KEY, token);
      await this.load(new Api(token));
    });
  }

  async addUser(username: string): Promise<void> {
    await this.attempt(async () => {
      const user = await addSandboxUser(username);
      await this.signIn(user.username);
    });
  }

  /** Everything a user sees, from scratch. */
  private async load(api: Api): Promise<void> {
    this.socket?.close();
    const me = await api.me();
    const [team] = await api.teams();
    const s = this.state;
    const previous = s.me?.id === me.id ? s.currentChannelId : "";
    Object.assign(s, {
      me: { id: me.id, username: me.username },
      teamId: team?.id ?? "",
      posts: new Map(),
      order: new Map(),
      unread: new Set(),
      mentions: new Map(),
      threadRootId: undefined,
      typing: new Map(),
      dialog: undefined,
      notice: "",
    });
    this.api = api;
    this.socket = new Socket(
      api.token,
      (event) => this.onEvent(event),
      () => void this.reload(),
    );
    await this.refreshDirectory();
    s.commands = team ? await api.commands(team.id).catch(() => []) : [];
    for (const channel of s.channels) {
      const member = await api.myMember(channel.id).catch(() => undefined);
      if (member && channel.last_post_at > member.last_viewed_at) s.unread.add(channel.id);
    }
    const start =
      s.channels.find((c) => c.id === previous) ??
      s.channels.find((c) => c.name === "town-square") ??
      s.channels[0];
    if (start) await this.selectChannel(start.id);
    this.changed();
  }

  /** After a reconnect: posts may have been missed. */
  private async reload(): Promise<void> {
    const s = this.state;
    s.order = new Map();
    if (s.currentChannelId) await this.loadPosts(s.currentChannelId);
    if (s.threadRootId) await this.openThread(s.threadRootId);
    this.changed();
  }

  /** The channels and the people (for names and DMs). */
  async refreshDirectory(): Promise<void> {
    const api = this.api!;
    const [channels, users] = await Promise.all([
      this.state.teamId ? api.channels(this.state.teamId) : Promise.resolve([]),
      sandboxUsers(),
    ]);
    this.state.channels = channels;
    this.state.users = new Map(users.map((u) => [u.id, u]));
    this.changed();
  }

  async selectChannel(channelId: string): Promise<void> {
    const s = this.state;
    if (s.currentChannelId !== channelId) s.threadRootId = undefined; // a thread belongs to its channel
    s.currentChannelId = channelId;
    s.unread.delete(channelId);
    s.mentions.delete(channelId);
    s.notice = "";
    this.changed();
    await this.attempt(async () => {
      if (!s.order.has(channelId)) await this.loadPosts(channelId);
      await this.api!.viewChannel(channelId);
    });
  }

  private async loadPosts(channelId: string): Promise<void> {
    const list = await this.api!.posts(channelId);
    const ephemeral = (this.state.order.get(channelId) ?? []).filter(
      (id) => this.state.posts.get(id)?.ephemeral,
    );
    this.state.order.set(channelId, [...this.merge(list).reverse(), ...ephemeral]);
    this.changed();
  }

  /** The DM with `userId`, opened (created on first use) and selected. */
  async openDirect(userId: string): Promise<void> {
    await this.attempt(async () => {
      const me = this.state.me!.id;
      const existing = this.state.channels.find(
        (c) => c.type === "D" && this.directPartner(c) === userId,
      );
      const channel = existing ?? (await this.api!.direct(me, userId));
      if (!existing) this.state.channels = [...this.state.channels, channel];
      await this.selectChannel(channel.id);
    });
  }

  /** The other person of a DM (yourself in your own DM). */
  directPartner(channel: Channel): string {
    const [a = "", b = ""] = channel.name.split("__");
    return a === this.state.me?.id ? b : a;
  }

  channelName(channel: Channel): string {
    if (channel.type !== "D") return channel.display_name || channel.name;
    return this.state.users.get(this.directPartner(channel))?.username ?? channel.name;
  }

  async openThread(rootId: string): Promise<void> {
    this.state.threadRootId = rootId;
    this.changed();
    await this.attempt(async () => {
      this.merge(await this.api!.thread(rootId));
    });
  }

  closeThread(): void {
    this.state.threadRootId = undefined;
    this.changed();
  }

  /** The root then its replies, oldest first, ephemeral answers in the thread included. */
  threadPosts(rootId: string): Post[] {
    const posts = [...this.state.posts.values()].filter(
      (p) => (p.id === rootId || p.root_id === rootId) && p.delete_at === 0,
    );
    return posts.sort((a, b) => a.create_at - b.create_at);
  }

  /** Sends a message or runs a slash command, in the channel or in a thread. */
  async send(text: string, options: { rootId?: string; files?: File[] } = {}): Promise<boolean> {
    const s = this.state;
    const channelId = s.currentChannelId;
    this.lastTypingSent = 0; // the post ends the typing others see: the next keystroke announces it again
    return this.attempt(async () => {
      if (text.startsWith("/") && !options.files?.length) {
        await this.api!.execute({
          channel_id: channelId,
          team_id: s.teamId,
          command: text,
          root_id: options.rootId,
        });
        return;
      }
      const fileIds = options.files?.length
        ? (await this.api!.upload(channelId, options.files)).file_infos.map((f) => f.id)
        : undefined;
      await this.api!.createPost({
        channel_id: channelId,
        message: text,
        root_id: options.rootId,
        file_ids: fileIds,
      });
    });
  }

  /** Puts `text` into the channel's message box (a suggestion of what to type). */
  suggest(text: string): void {
    this.state.draft = text;
    this.changed();
  }

  editPost = (postId: string, message: string) =>
    this.attempt(() => this.api!.editPost(postId, message));
  deletePost = (postId: string) => this.attempt(() => this.api!.deletePost(postId));

  async toggleReaction(post: Post, emoji: string): Promise<void> {
    const mine = post.metadata?.reactions?.some(
      (r) => r.emoji_name === emoji && r.user_id === this.state.me?.id,
    );
    await this.attempt(() =>
      mine ? this.api!.unreact(post.id, emoji) : this.api!.react(this.state.me!.id, post.id, emoji),
    );
  }

  /** Clicks a button or picks a menu option: the sandbox calls the integration and applies its answer. */
  clickAction = (postId: string, actionId: string, selected?: string) =>
    this.attempt(() => this.api!.clickAction(postId, actionId, selected));

  /** Submits the open dialog; it stays open with the integration's errors, if any. */
  async submitDialog(submission: Record<string, unknown>, cancelled = false): Promise<void> {
    const open = this.state.dialog;
    if (!open) return;
    const { opened, channelId } = open;
    if (cancelled && !opened.dialog.notify_on_cancel) return this.closeDialog();
    await this.attempt(async () => {
      const answer = await this.api!.submitDialog({
        url: opened.url,
        callback_id: opened.dialog.callback_id,
        state: opened.dialog.state,
        channel_id: channelId,
        team_id: this.state.teamId,
        submission: cancelled ? {} : submission,
        cancelled,
      });
      if (
        !cancelled &&
        (answer.error || (answer.errors && Object.keys(answer.errors).length > 0))
      ) {
        this.state.dialog = { ...open, errors: answer.errors ?? {}, error: answer.error ?? "" };
      } else this.state.dialog = undefined;
    });
  }

  closeDialog(): void {
    this.state.dialog = undefined;
    this.changed();
  }

  /** Tells the others this user types, at most every 2 s. */
  typing(parentId = ""): void {
    const now = Date.now();
    if (now - this.lastTypingSent < TYPING_SENT_EVERY_MS) return;
    this.lastTypingSent = now;
    this.socket?.typing(this.state.currentChannelId, parentId);
  }

  /** Who types in the channel (or thread) now, other than this user. */
  typingIn(channelId: string, parentId: string): string[] {
    const now = Date.now();
    return (this.state.typing.get(channelId) ?? [])
      .filter((t) => t.until > now && t.parentId === parentId)
      .map((t) => this.state.users.get(t.userId)?.username ?? "someone");
  }

  noteTyping(channelId: string, userId: string, parentId: string): void {
    const list = (this.state.typing.get(channelId) ?? []).filter((t) => t.userId !== userId);
    list.push({ userId, parentId, until: Date.now() + TYPING_SHOWN_MS });
    this.state.typing.set(channelId, list);
    window.setTimeout(() => this.changed(), TYPING_SHOWN_MS + 50);
  }

  stopTyping(channelId: string, userId: string): void {
    const list = this.state.typing.get(channelId);
    if (list)
      this.state.typing.set(
        channelId,
        list.filter((t) => t.userId !== userId),
      );
  }

  /** Adds posts to what the page knows; returns their ids in the list's order. */
  merge(list: PostList): string[] {
    for (const [id, post] of Object.entries(list.posts)) this.state.posts.set(id, post);
    return [...list.order];
  }

  /** A new post (or ephemeral one) at the end of its channel. */
  append(post: Post): void {
    this.state.posts.set(post.id, post);
    const order = this.state.order.get(post.channel_id);
    if (order && !order.includes(post.id)) order.push(post.id);
  }

  private onEvent(event: WsEvent): void {
    handleEvent(this, event);
    this.changed();
  }

  /** Runs an action; a refusal is shown as the notice instead of thrown. Resolves with whether it worked. */
  private async attempt(work: () => Promise<unknown>): Promise<boolean> {
    try {
      await work();
      this.changed();
      return true;
    } catch (error) {
      this.state.notice =
        error instanceof ApiError ? `${error.message} (${error.status})` : String(error);
      this.changed();
      return false;
    }
  }
}

export const store = new Store();
