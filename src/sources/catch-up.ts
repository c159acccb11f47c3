/**
 * Where the Mattermost sources resume from, and the REST catch-up. The cursor is the newest
 * `create_at` (ms) handed to the bot, kept in the bot's store under one key for the WebSocket's
 * catch-up and for polling, so a switch between them (or a restart with another transport)
 * starts where the other stopped. The saved cursor never passes a post handed over and not yet
 * taken, nor a catch-up still owed: a process killed then reads them again at its next start.
 */
import { messageEnvelope, type MessageEnvelope } from "../bot/envelope.js";
import type { Logger } from "../log.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { Channel, Post, UserProfile } from "../mattermost/types.js";
import type { Store } from "../store/index.js";

/** Where catch-up resumes: the newest `create_at` (ms) of the posts seen. Persist it to survive restarts. */
export interface CatchUpCursor {
  load(): Promise<number | undefined>;
  save(createAtMs: number): Promise<void>;
}

/** A cursor that lives as long as the process. */
export function memoryCursor(initial?: number): CatchUpCursor {
  let value = initial;
  return {
    load: async () => value,
    save: async (ms) => {
      value = ms;
    },
  };
}

const CURSOR_KEY = "catchup.cursor";

/** The cursor kept in the bot's store. */
export function storeCursor(store: Store): CatchUpCursor {
  return {
    load: async () => {
      const value = await store.kv.get(CURSOR_KEY);
      if (value === undefined) return undefined;
      const ms = Number(value);
      // one saved ahead of this clock (a post dated ahead, by a version that followed it; a clock
      // set back since) would start every catch-up past the posts it must read: start from now
      return Number.isFinite(ms) ? Math.min(ms, Date.now()) : undefined;
    },
    save: (ms) => store.kv.set(CURSOR_KEY, String(ms)),
  };
}

/** The bot's channels as last listed, kept: what a catch-up reads when listing them fails. */
export interface ChannelMemory {
  load(): Promise<string[] | undefined>;
  save(channelIds: string[]): Promise<void>;
}

const CHANNELS_KEY = "catchup.channels";

/** The channels kept in the bot's store: a process restarted in a storm has them before any listing works. */
export function storeChannels(store: Store): ChannelMemory {
  return {
    load: async () => {
      const value = await store.kv.get(CHANNELS_KEY);
      if (value === undefined) return undefined;
      try {
        const ids: unknown = JSON.parse(value);
        return Array.isArray(ids) && ids.every((id) => typeof id === "string") ? ids : undefined;
      } catch {
        return undefined;
      }
    },
    save: (ids) => store.kv.set(CHANNELS_KEY, JSON.stringify(ids)),
  };
}

/**
 * The posts handed to the bot and not yet taken (claimed, or dropped): the position kept in the
 * store stays below the oldest of them. The cursor in memory may run ahead (what is queued will
 * be handled), but a process killed with a queue must not have saved a cursor past it: the next
 * start would not read those posts again, and they would never be answered.
 */
export class UnsettledPosts {
  private readonly pending = new Map<string, number>();

  /** Tracks the post until `handling` settles; `onSettled` runs then. */
  track(postId: string, createAt: number, handling: unknown, onSettled: () => void): void {
    if (!(handling instanceof Promise)) return;
    this.pending.set(postId, createAt);
    void handling
      .catch(() => undefined)
      .finally(() => {
        this.pending.delete(postId);
        onSettled();
      });
  }

  /** The position safe to keep: `cursor`, or just below the oldest post still being taken. */
  safe(cursor: number): number {
    let safe = cursor;
    for (const createAt of this.pending.values()) safe = Math.min(safe, createAt - 1);
    return safe;
  }
}

const SAVE_INTERVAL_MS = 1_000;
/** How far a post's create_at may be ahead of this machine's clock and still move the cursor. */
const FUTURE_SKEW_MS = 5 * 60_000;

/**
 * The cursor of one source: loaded at its start, moved by the posts it hands over, saved below
 * what is unsettled or owed. `name` starts its log lines.
 */
export class SourceCursor {
  /** In memory: may run ahead of the saved one. Undefined until a first start's first connection. */
  value: number | undefined;
  /** Never read before this (a first start's beginning): no older history is answered. */
  floor = 0;
  /** The `since` of a catch-up still to read (the saved cursor stays at it, less `owedSlackMs`). */
  owed: number | undefined;
  private readonly unsettled = new UnsettledPosts();
  private saved: number | undefined;
  private lastSaveAt = 0;
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: CatchUpCursor,
    private readonly logger: Logger,
    private readonly name: string,
    /** What an owed catch-up's `since` is below the cursor it was asked at (its overlap). */
    private readonly owedSlackMs = 0,
  ) {}

  /**
   * Reads the saved cursor. With none (a first start) and `firstStartSince`, what was posted since
   * then is read, nothing older. Resolves with whether there is a position to catch up from.
   */
  async load(firstStartSince?: number): Promise<boolean> {
    try {
      this.value = await this.store.load();
    } catch (error) {
      this.logger.warn(
        { err: error },
        `${this.name}: cannot load the catch-up cursor; starting without`,
      );
    }
    this.saved = this.value;
    if (this.value === undefined && firstStartSince !== undefined) {
      this.floor = Math.min(firstStartSince, Date.now());
      this.value = this.floor;
      // kept at once: a process killed before its first catch-up must not make the next one a first start too
      await this.save();
    }
    return this.value !== undefined;
  }

  /** A post handed to the bot: the saved cursor stays below it until `handling` settles. */
  track(post: Pick<Post, "id" | "create_at">, handling: unknown): void {
    this.unsettled.track(post.id, post.create_at, handling, () => this.scheduleSave());
  }

  /** A post handed to the bot, live or caught up: tracked, and the cursor moves to it. */
  handed(post: Pick<Post, "id" | "create_at">, handling: unknown): void {
    if (typeof post.create_at !== "number") return;
    // tracked before the cursor moves: a save due now must already see it as unsettled
    this.track(post, handling);
    this.advance(post.create_at);
  }

  /** Moves the cursor forward to `createAt`, unless it is far ahead of this clock. */
  advance(createAt: number): void {
    if (this.value !== undefined && createAt <= this.value) return;
    // a system admin may post with any create_at: one far ahead would make every later catch-up start past what it must read
    if (createAt > Date.now() + FUTURE_SKEW_MS) return;
    this.value = createAt;
    this.scheduleSave();
  }

  /** Saves now, or at most once every second. */
  scheduleSave(): void {
    const wait = this.lastSaveAt + SAVE_INTERVAL_MS - Date.now();
    if (wait <= 0) void this.save();
    else
      this.saveTimer ??= setTimeout(() => {
        this.saveTimer = undefined;
        void this.save();
      }, wait);
  }

  /** Saves the cursor, kept below the posts not yet taken and a catch-up still owed. */
  async save(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const owed = this.owed === undefined ? Infinity : this.owed + this.owedSlackMs;
    const value =
      this.value === undefined ? undefined : Math.min(this.unsettled.safe(this.value), owed);
    if (value === undefined || value === this.saved) return;
    this.lastSaveAt = Date.now();
    this.saved = value;
    try {
      await this.store.save(value);
    } catch (error) {
      this.saved = undefined;
      this.logger.warn({ err: error }, `${this.name}: cannot save the catch-up cursor`);
    }
  }
}

export interface CatchUpOptions {
  client: MattermostClient;
  logger: Logger;
  cursor: SourceCursor;
  /** Channels to read (default: all of the bot's channels, DMs included, listed at each catch-up). */
  watchedChannels?: () => Promise<string[]>;
  /** Where the last listing is kept (default: only in memory, for this process). */
  channelMemory?: ChannelMemory;
  /** A catch-up starts this long before the cursor, for posts committed out of order. */
  overlapMs: number;
  /** Wait before reading again what could not be read. */
  retryMs: number;
  /** Hands a missed post over; false when it was handed over already. */
  hand: (envelope: MessageEnvelope) => boolean;
}

/**
 * Reads over REST what was posted since the cursor (less the overlap), in every channel of the
 * bot, and hands it over oldest first. One catch-up runs at a time; one asked for meanwhile
 * follows it, and one whose reads failed is tried again. Until it is done the saved cursor stays
 * at its start.
 */
export class CatchUp {
  /** The channels of the last listing that worked: read when a listing fails (and read again after). */
  private knownChannels: string[] | undefined;
  private running = false;
  private stopped = false;
  private queuedSince: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CatchUpOptions) {}

  request(reason: string): void {
    const cursor = this.options.cursor;
    this.stopped = false;
    const since = Math.max(cursor.floor, (cursor.value ?? Date.now()) - this.options.overlapMs);
    cursor.owed = Math.min(cursor.owed ?? since, since);
    if (this.running) {
      this.queuedSince = Math.min(this.queuedSince ?? since, since);
      return;
    }
    void this.run(since, reason);
  }

  /**
   * The channels to read. Listing them is two calls or more, each of which can fail in a storm;
   * the posts of the channels known from the last listing need none of them, so a failed listing
   * reads those now (`listed` false: the catch-up is owed again until a listing works).
   */
  private async channels(): Promise<{ channels: string[]; listed: boolean }> {
    const { client, logger, channelMemory } = this.options;
    try {
      const list = this.options.watchedChannels ?? (() => allMyChannels(client));
      const listed = await list();
      if (channelMemory && listed.join() !== this.knownChannels?.join())
        await channelMemory
          .save(listed)
          .catch((error: unknown) =>
            logger.warn({ err: error }, "catch-up: cannot keep the bot's channels in the store"),
          );
      this.knownChannels = listed;
      return { channels: listed, listed: true };
    } catch (error) {
      // a process restarted in a storm: the channels its last run listed
      this.knownChannels ??= await channelMemory?.load().catch(() => undefined);
      if (!this.knownChannels) throw error;
      logger.warn(
        { err: error, channels: this.knownChannels.length },
        "catch-up: cannot list the bot's channels; reading those known, and again once they can be listed",
      );
      return { channels: this.knownChannels, listed: false };
    }
  }

  /** No more reads or retries; one in flight hands nothing over any more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private async run(since: number, reason: string): Promise<void> {
    const { client, logger, cursor } = this.options;
    this.running = true;
    let retry = false;
    try {
      const { channels, listed } = await this.channels();
      const result = await readMissedPosts(client, channels, since, logger);
      let emitted = 0;
      for (const envelope of result.envelopes)
        if (!this.stopped && this.options.hand(envelope)) emitted++;
      logger.info(
        { reason, since, channels: channels.length, emitted },
        `websocket: catch-up done (${emitted} missed posts)`,
      );
      // read from a listing that failed, a channel joined since is still to read: again, later
      retry = result.failed.length > 0 || !listed;
    } catch (error) {
      logger.warn({ err: error, reason }, "websocket: catch-up failed; will retry");
      retry = true;
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    const queued = this.queuedSince;
    this.queuedSince = undefined;
    // what is still to read keeps the saved cursor back: a kill before it is read loses nothing
    cursor.owed = retry ? Math.min(since, queued ?? since) : queued;
    cursor.scheduleSave();
    if (retry) {
      const next = Math.min(since, queued ?? since);
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(
        () => void this.run(next, `${reason} (retry)`),
        this.options.retryMs,
      );
    } else if (queued !== undefined) {
      void this.run(queued, "queued");
    }
  }
}

/** Every channel of every team of the token's user, direct and group messages included. */
export async function allMyChannels(client: MattermostClient): Promise<string[]> {
  const ids = new Set<string>();
  for (const team of await client.getMyTeams()) {
    for (const channel of await client.getMyChannels(team.id)) ids.add(channel.id);
  }
  return [...ids];
}

/** Channels a catch-up reads at once. */
const READS_AT_ONCE = 4;

export interface MissedPosts {
  /** Oldest first. */
  envelopes: MessageEnvelope[];
  /** Channels whose posts could not be read; the caller should try again. */
  failed: string[];
}

/**
 * Reads the posts created since `sinceMs` in each channel and returns them oldest first as
 * message envelopes (`catchup`). `?since=` also returns posts only edited since: those are dropped.
 */
export async function readMissedPosts(
  client: MattermostClient,
  channelIds: string[],
  sinceMs: number,
  logger: Logger,
): Promise<MissedPosts> {
  const posts: { post: Post; channel: Channel | undefined }[] = [];
  const failed: string[] = [];
  // a few channels at once: the reads fit in a shorter window of a server that comes and goes
  const queue = [...channelIds];
  const reader = async () => {
    for (let channelId = queue.shift(); channelId; channelId = queue.shift()) {
      try {
        const fresh = await postsCreatedSince(client, channelId, sinceMs);
        if (fresh.length === 0) continue;
        const channel = await client.getChannel(channelId).catch(() => undefined);
        for (const post of fresh) posts.push({ post, channel });
      } catch (error) {
        logger.warn(
          { err: error, channelId },
          `catch-up: cannot read posts of channel ${channelId}`,
        );
        failed.push(channelId);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, channelIds.length) }, reader));
  posts.sort((a, b) => byCreation(a.post, b.post));
  const me = await client.getMe().catch(() => undefined);
  const senderOf = senderLookup(client);
  for (const { post } of posts) void senderOf(post.user_id); // all at once
  const envelopes: MessageEnvelope[] = [];
  for (const { post, channel } of posts) {
    const sender = await senderOf(post.user_id);
    envelopes.push(messageEnvelope(post, { source: "catchup", channel, sender, me }));
  }
  return { envelopes, failed };
}

/**
 * The senders of one read's posts, each asked once (undefined when the server would not give
 * it): asked post by post, a user the server would not give cost every one of their posts the
 * client's retries (a storm's backlog: minutes).
 */
export function senderLookup(
  client: MattermostClient,
): (userId: string) => Promise<UserProfile | undefined> {
  const senders = new Map<string, Promise<UserProfile | undefined>>();
  return (userId) => {
    let sender = senders.get(userId);
    if (!sender) {
      sender = client.getUser(userId).catch(() => undefined);
      senders.set(userId, sender);
    }
    return sender;
  };
}

/** A channel's posts created (not only edited) since `sinceMs`, not deleted, oldest first. */
export async function postsCreatedSince(
  client: MattermostClient,
  channelId: string,
  sinceMs: number,
): Promise<Post[]> {
  const list = await client.getChannelPostsSince(channelId, sinceMs);
  return Object.values(list.posts ?? {})
    .filter((p) => p.create_at >= sinceMs && !p.delete_at)
    .sort(byCreation);
}

export function byCreation(a: Post, b: Post): number {
  return a.create_at - b.create_at || a.id.localeCompare(b.id);
}
