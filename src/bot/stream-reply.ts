/**
 * A reply written as it comes: the post is created when the first text arrives (sent while the
 * outbox stores it, `Outbox.sendWhileStoring`), then edited
 * with the whole text so far at most once per interval, with a last edit for the final text.
 * Past about 90 % of the server's post limit (its `MaxPostSize`, asked once) the answer goes on
 * in a new post of the same thread (`stream-layout.ts`). The final text always lands whole: a failed edit is tried again, and
 * what still is missing is posted.
 *
 * With `once`, the answer's posts are made once per scope (a claimed post's handling): the k-th
 * post made gets the outbox id of the k-th of that scope, so a post handled again after a kill
 * edits the posts its first run made instead of streaming a second answer, and deletes those
 * it no longer needs.
 */
import type { Post } from "../mattermost/types.js";
import { scopedSeq, type NewOutboxEntry, type OutboxEntry } from "../store/index.js";
import { postEntries } from "./outbox.js";
import type { BotRuntime } from "./runtime.js";
import { layoutStream, streamPartLimit } from "./stream-layout.js";

/** What a stream needs of the bot's runtime. */
export type StreamRuntime = Pick<BotRuntime, "client" | "outbox" | "logger"> &
  Partial<Pick<BotRuntime, "server">>;

/** Where the answer goes. */
export interface StreamTarget {
  channelId: string;
  rootId: string;
  /** Props of every post of the answer. */
  props?: Record<string, unknown>;
  /** Makes the answer's posts once per `scope` (stable across runs of one handling, e.g. `ctx.onceKey("answer")`). */
  once?: { scope: string };
}

export interface StreamReplyOptions {
  /** The least time between two edits of the answer (default 1000 ms). */
  editIntervalMs?: number;
  /** Characters per post before the answer goes on in a new one (default: 90 % of the server's `MaxPostSize`). */
  partLimit?: number;
  /** Called at once and every `typingIntervalMs` until the first text shows. */
  typing?: () => Promise<unknown>;
  typingIntervalMs?: number;
  /** Told of each post of the answer when it is created (to find the answer by a reaction). */
  onPost?: (post: Post) => void;
}

/** How often the last edits are tried before the missing text is posted instead. */
const FINAL_TRIES = 3;

/** Streams `chunks` into posts; resolves with the answer's posts once the final text is in. */
export async function streamReply(
  chunks: AsyncIterable<string>,
  runtime: StreamRuntime,
  target: StreamTarget,
  options: StreamReplyOptions = {},
): Promise<Post[]> {
  // the limit is asked for while the model thinks (once a client: cached), not before typing shows
  const limit =
    options.partLimit !== undefined
      ? Promise.resolve(options.partLimit)
      : runtime.client.maxPostSize().then(streamPartLimit);
  const writer = new StreamWriter(runtime, target, options, limit);
  try {
    for await (const chunk of chunks) writer.add(chunk);
  } finally {
    await writer.finish();
  }
  return writer.posts.map((p) => p.post);
}

class StreamWriter {
  readonly posts: { post: Post; sent: string }[] = [];
  /** Posts made so far (the parts, and text posted after a failed edit): the next one's `seq` in the `once` scope. */
  private made = 0;
  /** What an earlier run of the same handling stored, by `seq`: read while the model thinks. */
  private readonly earlier: Promise<Map<number, OutboxEntry>>;
  private text = "";
  private lastFlushAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private typingTimer: NodeJS.Timeout | undefined;
  private finishing = false;
  private readonly interval: number;

  constructor(
    private readonly runtime: StreamRuntime,
    private readonly target: StreamTarget,
    private readonly options: StreamReplyOptions,
    private readonly limit: Promise<number>,
  ) {
    this.interval = options.editIntervalMs ?? 1_000;
    const scope = target.once?.scope;
    this.earlier =
      scope === undefined
        ? Promise.resolve(new Map())
        : runtime.outbox.storedFor(scope).then(
            (entries) => new Map(entries.map((e) => [scopedSeq(e.id), e])),
            // the answer still goes out; only a second run's reuse of the first's posts is lost
            (error: unknown) => (
              runtime.logger.warn(
                { err: error, channelId: target.channelId },
                "stream: cannot read what an earlier run of this answer posted",
              ),
              new Map()
            ),
          );
    if (options.typing) {
      const send = () =>
        void options
          .typing?.()
          .catch((error: unknown) => runtime.logger.debug({ err: error }, "stream: typing failed"));
      send();
      this.typingTimer = setInterval(send, options.typingIntervalMs ?? 3_000);
    }
  }

  add(chunk: string): void {
    this.text += chunk;
    if (this.posts.length === 0 && this.text.trim() !== "" && !this.flushing)
      this.startFlush(); // the first text shows at once
    else this.schedule();
  }

  async finish(): Promise<void> {
    // no edit is scheduled from now on (an edit ending now would schedule one): the last edits are finish's own
    this.finishing = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopTyping();
    await this.flushing;
    const parts = await this.parts();
    const changed = parts.some((part, i) => this.posts[i]?.sent !== part);
    // the last edit keeps to the rate too
    const wait = this.lastFlushAt + this.interval - Date.now();
    if (changed && this.posts.length > 0 && wait > 0)
      await new Promise((resolve) => setTimeout(resolve, wait));
    for (const [i, part] of parts.entries()) await this.landWhole(i, part);
    await this.retireUnused();
  }

  /** Posts an earlier run made past what this run made: the answer is this run's, whole. */
  private async retireUnused(): Promise<void> {
    for (const [seq, entry] of await this.earlier) {
      if (seq < this.made) continue;
      await this.runtime.outbox
        .retire(entry)
        .catch((error: unknown) =>
          this.runtime.logger.warn(
            { err: error, outboxId: entry.id },
            "stream: cannot remove a post of an earlier run of this answer",
          ),
        );
    }
  }

  private async parts(): Promise<string[]> {
    const limit = await this.limit;
    return layoutStream(this.text, limit).filter((part) => part.trim() !== "");
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.finishing) return;
    const wait = Math.max(0, this.lastFlushAt + this.interval - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.startFlush();
    }, wait);
  }

  private startFlush(): void {
    this.lastFlushAt = Date.now();
    const flushed = this.text;
    this.flushing = this.flush()
      .catch((error: unknown) =>
        this.runtime.logger.warn(
          { err: error, channelId: this.target.channelId },
          "stream: an edit failed; the final text will be sent again",
        ),
      )
      .finally(() => {
        this.flushing = undefined;
        if (this.text !== flushed) this.schedule();
      });
  }

  /** Brings every post up to the text so far: earlier posts to their final part, the last to what is written. */
  private async flush(): Promise<void> {
    for (const [i, part] of (await this.parts()).entries()) {
      const existing = this.posts[i];
      if (!existing) await this.create(part);
      else if (existing.sent !== part) await this.edit(existing, part);
    }
  }

  private async create(text: string): Promise<void> {
    this.stopTyping();
    const { channelId, rootId, props } = this.target;
    // a part is within the server's limit already: one entry, not split again at the 5.x limit
    const post = await this.newPost({
      kind: "post",
      channel_id: channelId,
      root_id: rootId,
      user_id: "",
      message: text,
      props,
    });
    this.posts.push({ post, sent: text });
    this.options.onPost?.(post);
  }

  /** A new post of the answer, or (made once) the earlier run's post of the same `seq` brought to this text. */
  private async newPost(entry: NewOutboxEntry): Promise<Post> {
    const scope = this.target.once?.scope;
    if (scope === undefined) return this.runtime.outbox.sendWhileStoring(entry);
    const seq = this.made;
    const earlier = (await this.earlier).get(seq);
    let post = earlier
      ? await this.runtime.outbox.resume(earlier, entry.message)
      : await this.runtime.outbox.sendWhileStoring({ ...entry, once: { scope, seq } });
    // the first run's POST may have reached the server when its entry was not yet stored (or
    // marked sent): the server answers the same id with that post, the first run's text in it
    if (post.message !== entry.message)
      post = await this.runtime.client.patchPost(post.id, { message: entry.message });
    this.made = seq + 1;
    return post;
  }

  private async edit(entry: { post: Post; sent: string }, text: string): Promise<void> {
    entry.post = await this.runtime.client.patchPost(entry.post.id, { message: text });
    entry.sent = text;
  }

  /** The last edit of part `i`, tried a few times; then what it lacks goes in a new post. */
  private async landWhole(i: number, part: string): Promise<void> {
    const entry = this.posts[i];
    let lastError: unknown;
    for (let attempt = 0; attempt < FINAL_TRIES; attempt++) {
      try {
        if (!entry) return await this.create(part);
        if (entry.sent === part) return;
        return await this.edit(entry, part);
      } catch (error) {
        lastError = error;
        await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
      }
    }
    this.runtime.logger.error(
      { err: lastError, channelId: this.target.channelId, part: i },
      "stream: the final edit failed; posting what is missing",
    );
    if (!entry) throw lastError;
    const missing = part.startsWith(entry.sent)
      ? part.slice(entry.sent.length).replace(/^\n+/, "")
      : part;
    if (missing.trim() === "") return;
    const entries = postEntries({
      channelId: this.target.channelId,
      rootId: this.target.rootId,
      text: missing,
      props: this.target.props,
      limit: this.runtime.server?.maxPostSize,
    });
    const scope = this.target.once?.scope;
    await this.runtime.outbox.send(
      scope === undefined
        ? entries
        : entries.map((e) => ({ ...e, once: { scope, seq: this.made++ } })),
    );
  }

  private stopTyping(): void {
    clearInterval(this.typingTimer);
    this.typingTimer = undefined;
  }
}
