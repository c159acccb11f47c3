/**
 * Handled once: every claim mechanic in one room. A post is claimed in the store before its
 * handlers run (one instance of all those sharing the store handles it), renewed while they and
 * the work they hold run, and finished when that is over. A claim its owner stopped renewing
 * (the instance was killed mid-way) is abandoned once its lease runs out: any instance reads the
 * post back and handles it again. What a handling makes (outbox entries, streams, apps' effects)
 * is made once per claim through its once-scope, so a run again makes nothing twice. The store's
 * side is `src/store/claims.ts`.
 */
import { MattermostApiError } from "../errors.js";
import { RecentIdSet } from "../mattermost/recent-ids.js";
import { messageEnvelope, type Envelope, type MessageEnvelope } from "./envelope.js";
import type { BotRuntime } from "./runtime.js";

/**
 * A claim not renewed for this long is abandoned. Short, so a post whose instance was killed is
 * answered by another within seconds; long enough that a live instance, renewing every
 * `renewEveryMs`, loses a claim only when three renewals in a row fail or are late (its store
 * away, or the process frozen, for about 7 s).
 */
export const CLAIM_LEASE_MS = 10_000;

/** How often an owner renews its claims: three tries within a lease. */
export function renewEveryMs(leaseMs: number): number {
  return leaseMs * 0.3;
}

/**
 * How often an instance looks for abandoned claims: a tenth of the lease, so a claim is taken over
 * soon after its lease runs out. One indexed query (`claims_unfinished`) that finds nothing when
 * all is well; renewals cost nothing when no post is being handled.
 */
export function scanEveryMs(leaseMs: number): number {
  return leaseMs / 10;
}

const POST_CLAIM = "post:";

/** The claim of a post: one per post, across instances. */
export function postClaimId(postId: string): string {
  return POST_CLAIM + postId;
}

/** A failed claim is tried again after these delays, then the post is logged as dropped. */
const CLAIM_RETRY_MS = [100, 500, 2_000];

/**
 * What makes one handling's effects once: its scope (a claimed post's claim id, the same on
 * every run of it; none for events that are not handled again), the count of what it made in
 * it, and the work held past its handlers.
 */
export class OnceScope {
  private made = 0;
  private readonly holds: Promise<unknown>[] = [];

  constructor(
    /** The claim id, for a claimed post; undefined for an event that is not handled again. */
    readonly scope: string | undefined,
    /** What keys are made under when there is no scope: the event's own delivery. */
    private readonly delivery: string,
  ) {}

  /** A key for a side effect, the same on every run of this handling. */
  key(name: string): string {
    return `${this.scope ?? this.delivery}#${name}`;
  }

  /** The next outbox entry's `once` (its place in the scope); undefined when unscoped. */
  nextEntry(): { scope: string; seq: number } | undefined {
    return this.scope === undefined ? undefined : { scope: this.scope, seq: this.made++ };
  }

  /** The scope of the next stream's posts: `name`'s key when named, else the next place in the scope; undefined when unscoped. */
  nextStream(name?: string): string | undefined {
    if (this.scope === undefined) return undefined;
    return name === undefined ? `${this.scope}/stream/${this.made++}` : this.key(name);
  }

  /** Keeps the claim until `work` settles (its failure is the work's to report). */
  hold(work: Promise<unknown>): void {
    this.holds.push(work.catch(() => undefined));
  }

  /** What `hold` was given, settled; undefined when nothing. */
  held(): Promise<void> | undefined {
    return this.holds.length === 0 ? undefined : Promise.all(this.holds).then(() => undefined);
  }
}

/** The once-scope of an event: a post's claim, else its own delivery. */
export function onceScopeOf(envelope: Envelope): OnceScope {
  const delivery = `${envelope.kind}:${envelope.id}`;
  return envelope.kind === "message"
    ? new OnceScope(postClaimId(envelope.post.id), delivery)
    : new OnceScope(undefined, delivery);
}

export interface ClaimsOptions {
  /** Who claims posts in the store: unique per running bot. */
  owner: string;
  /** A claim left unfinished and not renewed for this long is taken over. */
  leaseMs: number;
  /** Handles an abandoned post again (the pipeline, which claims it anew); resolves once it has. */
  retake(envelope: MessageEnvelope): Promise<void>;
}

/** This instance's claims: taken, renewed, finished, and the abandoned ones taken over. */
export class Claims {
  private readonly seenPosts = new RecentIdSet(10_000); // the cheap first dedupe, before the store's claim
  /** The claims of the posts being handled now (renewed). */
  private readonly claimed = new Set<string>();
  /** Claims finished once the work their handlers left running (`ctx.holdUntil`) settles. */
  private readonly held = new Set<Promise<void>>();
  /** Claims handed back and not yet handled (queued behind a busy channel): not fetched again at every look. */
  private readonly handedBack = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private renewing: Promise<void> | undefined;
  private scanning: Promise<void> | undefined;

  constructor(
    private readonly runtime: Pick<BotRuntime, "store" | "client" | "logger" | "me">,
    private readonly options: ClaimsOptions,
  ) {}

  /** The post was seen (handled, or being handled) by this bot. */
  hasSeen(postId: string): boolean {
    return this.seenPosts.has(postId);
  }

  /** Marks the post seen; false when it was already. */
  see(postId: string): boolean {
    return this.seenPosts.add(postId);
  }

  /**
   * Claims the post in the store, retrying a failing store. Resolves with the handling's
   * once-scope, or undefined when another instance has the post (or the store stays down).
   */
  async take(envelope: MessageEnvelope): Promise<OnceScope | undefined> {
    const { store, logger } = this.runtime;
    const id = envelope.post.id;
    const claimId = postClaimId(id);
    for (let attempt = 0; ; attempt++) {
      try {
        // a claim left unfinished past its lease (its owner was killed) is taken over
        if (
          !(await store.claims.claim(
            claimId,
            this.options.owner,
            Date.now() - this.options.leaseMs,
          ))
        )
          return undefined;
        this.claimed.add(claimId);
        return onceScopeOf(envelope);
      } catch (error) {
        const delay = CLAIM_RETRY_MS[attempt];
        if (delay === undefined) {
          this.seenPosts.delete(id); // a later delivery (catch-up, webhook) may try again
          logger.error(
            { err: error, eventId: id, channelId: envelope.channel.id, attempts: attempt + 1 },
            "pipeline: cannot claim the post in the store; not handled",
          );
          return undefined;
        }
        logger.warn(
          { err: error, eventId: id, attempt: attempt + 1, retryInMs: delay },
          "pipeline: cannot claim the post in the store; retrying",
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * The handlers are done: the claim is finished now, or, when they held work (`ctx.holdUntil`),
   * kept (renewed) off the channel's queue until it settles.
   */
  async release(once: OnceScope, eventId: string): Promise<void> {
    const claimId = once.scope;
    if (claimId === undefined) return;
    const work = once.held();
    if (!work) return this.finish(claimId, eventId);
    const finishing = work.then(() => this.finish(claimId, eventId));
    this.held.add(finishing);
    void finishing.then(() => this.held.delete(finishing));
  }

  /** Resolves once the work handlers left running (`ctx.holdUntil`) has settled and its claims are finished. */
  async settleHeld(): Promise<void> {
    while (this.held.size > 0) await Promise.all([...this.held]);
  }

  /** Starts renewing this instance's claims and looking for abandoned ones. */
  start(): void {
    if (this.timers.length > 0) return;
    const { leaseMs } = this.options;
    // two timers: a slow take-over (REST reads of the post) never delays a renewal
    this.timers = [
      setInterval(
        () => void (this.renewing ??= this.renew().finally(() => (this.renewing = undefined))),
        renewEveryMs(leaseMs),
      ),
      setInterval(
        () => void (this.scanning ??= this.scan().finally(() => (this.scanning = undefined))),
        scanEveryMs(leaseMs),
      ),
    ];
    for (const timer of this.timers) timer.unref();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.all([this.renewing, this.scanning]);
  }

  /** The post's handling is over (its replies are in the outbox); a failure leaves the claim to go stale and be handled again. */
  private async finish(claimId: string, eventId: string): Promise<void> {
    try {
      await this.runtime.store.claims.finish(claimId);
    } catch (error) {
      this.runtime.logger.error(
        { err: error, eventId },
        "pipeline: cannot mark the post's claim finished; it will be handled again once its lease runs out",
      );
    } finally {
      this.claimed.delete(claimId);
    }
  }

  private async renew(): Promise<void> {
    try {
      await this.runtime.store.claims.renew([...this.claimed], this.options.owner);
    } catch (error) {
      this.runtime.logger.warn(
        { err: error },
        "claims: cannot renew this instance's claims; trying again later",
      );
    }
  }

  /** Hands back the abandoned claims' posts. */
  private async scan(): Promise<void> {
    try {
      const mine = new Set(this.claimed);
      for (const id of await this.runtime.store.claims.abandoned(
        Date.now() - this.options.leaseMs,
      )) {
        if (!mine.has(id) && !this.handedBack.has(id) && id.startsWith(POST_CLAIM))
          await this.retake(id.slice(POST_CLAIM.length));
      }
    } catch (error) {
      this.runtime.logger.warn(
        { err: error },
        "claims: cannot look for abandoned claims; trying again later",
      );
    }
  }

  private async retake(postId: string): Promise<void> {
    const { client, logger, me, store } = this.runtime;
    let post;
    try {
      post = await client.getPost(postId);
    } catch (error) {
      if (error instanceof MattermostApiError && (error.status === 404 || error.status === 403)) {
        logger.info(
          { eventId: postId },
          "claims: an abandoned claim's post is gone; nothing to answer",
        );
        return store.claims.finish(postClaimId(postId));
      }
      logger.warn(
        { err: error, eventId: postId },
        "claims: cannot read an abandoned claim's post; trying again later",
      );
      return;
    }
    if (post.delete_at) return store.claims.finish(postClaimId(postId));
    const channel = await client.getChannel(post.channel_id).catch(() => undefined);
    const sender = await client.getUser(post.user_id).catch(() => undefined);
    const envelope = messageEnvelope(post, { source: "catchup", channel, sender, me });
    logger.warn(
      { eventId: postId, channelId: post.channel_id },
      "claims: a post was claimed but its handling never finished (an instance stopped mid-way); handling it again",
    );
    const claimId = postClaimId(postId);
    this.handedBack.add(claimId);
    this.seenPosts.add(postId);
    void this.options.retake(envelope).finally(() => this.handedBack.delete(claimId));
  }
}
