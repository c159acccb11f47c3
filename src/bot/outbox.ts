import { isTokenRefusal, MattermostApiError } from "../errors.js";
import type { Logger } from "../log.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { Post } from "../mattermost/types.js";
import {
  pendingEntry,
  type NewOutboxEntry,
  type OutboxEntry,
  type OutboxStore,
} from "../store/index.js";
import type { BotObserver } from "./observer.js";
import { splitMessage } from "./split.js";

/** What the outbox uses of the bot's runtime (of which it is a part): the store's outbox, the client, the logger, the observer told of each try. */
export interface OutboxRuntime {
  readonly client: MattermostClient;
  readonly logger: Logger;
  readonly observer: BotObserver | undefined;
  readonly store: { readonly outbox: OutboxStore };
}

export interface OutboxOptions {
  /**
   * How often entries left pending (a crash, the server down) are looked for (default 5 s). An
   * entry whose try failed is tried again sooner: half a second after its first failure, then
   * twice as long each time, up to this interval.
   */
  retryIntervalMs?: number;
  /** After this many failed tries an entry is given up and logged as failed (default 20: about 90 s of failures). */
  maxAttempts?: number;
  /** An entry older than this is looked for among the channel's posts before it is sent again (default 20 s; see PENDING_ID_MEMORY_MS). */
  pendingIdMemoryMs?: number;
}

/**
 * Durable delivery of the bot's posts: each entry is written to the store first, then sent
 * with the entry id as `pending_post_id` (so a repeat after a crash or a lost answer returns
 * the same post instead of a duplicate), then marked sent.
 */
export class Outbox {
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  /** The sooner sweep after a failed try (`retrySoon`). */
  private soonTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private sweepAgain = false;
  private readonly retryIntervalMs: number;
  private readonly maxAttempts: number;
  private readonly pendingIdMemoryMs: number;

  private readonly store: OutboxStore;

  constructor(
    private readonly runtime: OutboxRuntime,
    options: OutboxOptions = {},
  ) {
    this.store = runtime.store.outbox;
    this.retryIntervalMs = options.retryIntervalMs ?? 5_000;
    this.maxAttempts = options.maxAttempts ?? 20;
    this.pendingIdMemoryMs = options.pendingIdMemoryMs ?? PENDING_ID_MEMORY_MS;
  }

  /**
   * Stores the entries, then posts them in order. Resolves with the posts created now. One the
   * server cannot take now (down, 5xx, 429) is not an error: it and the entries after it stay
   * stored and go out, in order, with the background retries (a handler that failed here would
   * answer "something went wrong" beside the answer that comes later), nor is a refused token
   * (401: kept until a good token sends it). Refused otherwise (4xx), it rejects.
   * Entries an earlier run of the same handling already stored (`once`) are not posted again.
   */
  async send(entries: NewOutboxEntry[]): Promise<Post[]> {
    const stored = await this.store.enqueue(entries);
    const posts: Post[] = [];
    for (const entry of stored) {
      if (entry.status === "sent") {
        const post = await this.runtime.client.getPost(entry.post_id).catch(() => undefined);
        if (post) posts.push(post);
        continue;
      }
      if (entry.status !== "pending") continue;
      try {
        posts.push(await this.deliver(entry));
      } catch (error) {
        if (!isRetryable(error) && !isTokenRefusal(error)) throw error;
        break; // logged in deliver(); the retries send it and the rest, oldest first
      }
    }
    return posts;
  }

  /**
   * Sends one post while its entry is being stored, instead of after: for the first post of a
   * streamed answer, where waiting for the store's commit (shared with every write of that
   * moment) was most of the time from the model's first token to the visible text. Nothing is
   * lost by it: the entry's id is the `pending_post_id` either way, a crash before the POST left
   * leaves the entry to be sent at the next start, a crash before the commit leaves the post.
   */
  async sendWhileStoring(input: NewOutboxEntry): Promise<Post> {
    const entry = pendingEntry(input, Date.now());
    const storing = this.store
      .enqueue([{ ...input, id: entry.id }])
      .then(() => undefined)
      .catch((error: unknown) =>
        this.runtime.logger.error(
          { err: error, outboxId: entry.id, channelId: entry.channel_id },
          "outbox: cannot store a post being sent; it is not retried if this send fails",
        ),
      );
    // the "sent" (or "failed") mark waits for the insert: on PostgreSQL the two may take
    // different connections of the pool, and an update before the insert would change nothing
    return await this.deliver(entry, storing);
  }

  /** The entries an earlier run of a handling stored under `scope` (`once`), in `seq` order. */
  storedFor(scope: string): Promise<OutboxEntry[]> {
    return this.store.scoped(scope);
  }

  /**
   * Brings the post of an entry an earlier run of the same handling stored (`once`) to `message`:
   * edits it when it was sent, else sends the entry now with it. For a streamed answer handled
   * again, whose posts are those of the first run.
   */
  async resume(earlier: OutboxEntry, message: string): Promise<Post> {
    if (earlier.status === "sent")
      return this.runtime.client.patchPost(earlier.post_id, { message });
    // pending (the first run was killed before its "sent" was stored) or given up: sent now, same id
    return this.deliver({ ...earlier, message });
  }

  /** Retires an entry an earlier run stored that this run has no use for: its post is deleted, or it is never sent. */
  async retire(earlier: OutboxEntry): Promise<void> {
    if (earlier.status === "sent") await this.runtime.client.deletePost(earlier.post_id);
    else await this.store.discard(earlier.id);
  }

  /**
   * The post an earlier try of this entry made, if any: past the server's memory of the
   * `pending_post_id` (a try whose answer was lost, a run killed mid-send, a long outage), a
   * repeat would make a second post. Read from the channel's posts since the entry was made.
   */
  private async madeEarlier(entry: OutboxEntry): Promise<Post | undefined> {
    const [me, list] = await Promise.all([
      this.runtime.client.getMe(),
      this.runtime.client.getChannelPostsSince(entry.channel_id, entry.created_at - 1_000),
    ]);
    return Object.values(list.posts ?? {}).find(
      (post) =>
        post.user_id === me.id && post.props?.[OUTBOX_ID_PROP] === entry.id && !post.delete_at,
    );
  }

  /** Starts the background retry of entries still pending (including those of a previous run). */
  start(): void {
    if (this.timer) return;
    void this.flushPending();
    this.timer = setInterval(() => void this.flushPending(), this.retryIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soonTimer);
    this.timer = undefined;
    this.soonTimer = undefined;
  }

  /** How long after its last failed try an entry is tried again: 0.5 s, 1 s, 2 s… up to the sweep interval. */
  private retryDelayMs(attempts: number): number {
    return Math.min(this.retryIntervalMs, FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1));
  }

  /**
   * A try failed: sweep again once the entry is due, not at the next interval. In a storm the
   * server comes back for seconds at a time; an answer that waited up to 5 s for the sweep
   * often missed the window.
   */
  private retrySoon(attempts: number): void {
    if (!this.timer || this.soonTimer) return; // not started (a test's outbox), or one is set
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      void this.flushPending();
    }, this.retryDelayMs(attempts));
    this.soonTimer.unref();
  }

  /**
   * Tries every pending entry that is due once more; used by the timers and at start. Each
   * channel's entries go in order, and one that fails (or is not due, or is being sent) holds
   * the rest of its channel for this round; channels go side by side, so a try that hangs in
   * one channel holds no other. One round at a time: a call during a round runs another after it.
   */
  flushPending(): Promise<void> {
    if (this.sweeping) {
      this.sweepAgain = true;
      return this.sweeping;
    }
    this.sweeping = this.sweep().finally(() => {
      this.sweeping = undefined;
      if (this.sweepAgain) {
        this.sweepAgain = false;
        void this.flushPending();
      }
    });
    return this.sweeping;
  }

  private async sweep(): Promise<void> {
    let pending: OutboxEntry[];
    try {
      pending = await this.store.pending(100);
    } catch (error) {
      this.runtime.logger.error({ err: error }, "outbox: cannot read pending entries");
      return;
    }
    const byChannel = new Map<string, OutboxEntry[]>();
    for (const entry of pending) {
      const list = byChannel.get(entry.channel_id) ?? [];
      list.push(entry);
      byChannel.set(entry.channel_id, list);
    }
    const now = Date.now();
    let soonest: number | undefined;
    let tokenRefused = false;
    const sendChannel = async (entries: OutboxEntry[]) => {
      for (const entry of entries) {
        if (tokenRefused || this.inFlight.has(entry.id)) return;
        if (entry.attempts > 0 && now - entry.updated_at < this.retryDelayMs(entry.attempts)) {
          soonest = Math.min(soonest ?? Infinity, entry.attempts);
          return; // not due yet
        }
        try {
          await this.deliver(entry);
        } catch (error) {
          // logged in deliver(); the entry stays for the next round or is marked failed
          if (isTokenRefusal(error)) tokenRefused = true; // the rest would be refused the same way
          return;
        }
      }
    };
    await Promise.all([...byChannel.values()].map(sendChannel));
    if (soonest !== undefined) this.retrySoon(soonest);
  }

  /** Posts one entry and records the outcome, after `stored` when the entry is still being written. */
  private async deliver(
    entry: OutboxEntry,
    stored: Promise<void> = Promise.resolve(),
  ): Promise<Post> {
    this.inFlight.add(entry.id);
    try {
      const post =
        (Date.now() - entry.created_at > this.pendingIdMemoryMs
          ? await this.madeEarlier(entry)
          : undefined) ??
        (await this.runtime.client.createPost({
          channel_id: entry.channel_id,
          message: entry.message,
          root_id: entry.root_id || undefined,
          props: { ...entry.props, [OUTBOX_ID_PROP]: entry.id },
          file_ids: entry.file_ids.length ? entry.file_ids : undefined,
          pending_post_id: entry.id,
        }));
      await stored;
      await this.store.markSent(entry.id, post.id);
      this.runtime.observer?.posted?.("sent");
      return post;
    } catch (error) {
      // a refused token (expired, revoked) is the operator's to fix, not the post's: it waits for a good one
      const tokenRefused = isTokenRefusal(error);
      const final =
        !tokenRefused && (!isRetryable(error) || entry.attempts + 1 >= this.maxAttempts);
      this.runtime.observer?.posted?.(final ? "failed" : "retried");
      await stored;
      await this.store
        .markFailed(entry.id, error instanceof Error ? error.message : String(error), final)
        .catch((e: unknown) =>
          this.runtime.logger.error({ err: e }, "outbox: cannot record a failure"),
        );
      if (!final && !tokenRefused) this.retrySoon(entry.attempts + 1);
      this.runtime.logger[final ? "error" : tokenRefused ? "debug" : "warn"](
        {
          err: error,
          outboxId: entry.id,
          channelId: entry.channel_id,
          attempt: entry.attempts + 1,
        },
        final ? "outbox: gave up on a post" : "outbox: post failed, will retry",
      );
      throw error;
    } finally {
      this.inFlight.delete(entry.id);
    }
  }
}

/**
 * How long after an entry was made the server is still sure to answer its `pending_post_id` with
 * the post an earlier try made: Mattermost remembers it 30 s (`pendingPostIDsCacheTTL`,
 * server/channels/app/post.go), counted from that try, which came after the entry was made.
 */
const PENDING_ID_MEMORY_MS = 20_000;
/** An entry's first failed try is followed by another this soon (then twice as long each time). */
const FIRST_RETRY_MS = 500;
/** Each post carries its entry's id, to be found again once the server has forgotten the `pending_post_id`. */
export const OUTBOX_ID_PROP = "mmbot_outbox_id";

/** A 4xx other than 429 will fail the same way again; everything else may pass later. */
function isRetryable(error: unknown): boolean {
  if (error instanceof MattermostApiError) return error.status === 429 || error.status >= 500;
  return true;
}

/**
 * The outbox entries of one answer: the text split at the server's limit (`limit`, its
 * `MaxPostSize`; default 16383), props and files on the last part (under the whole text).
 */
export function postEntries(input: {
  channelId: string;
  rootId: string;
  text: string;
  props?: Record<string, unknown>;
  fileIds?: string[];
  limit?: number;
}): NewOutboxEntry[] {
  const chunks = splitMessage(input.text, input.limit);
  return chunks.map((message, i) => ({
    kind: "post" as const,
    channel_id: input.channelId,
    root_id: input.rootId,
    user_id: "",
    message,
    props: i === chunks.length - 1 ? input.props : undefined,
    file_ids: i === chunks.length - 1 && input.fileIds?.length ? input.fileIds : undefined,
  }));
}
