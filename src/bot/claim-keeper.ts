/**
 * Keeps the claims of the posts being handled alive, and hands back the posts whose claims were
 * abandoned: an instance killed between claiming a post and storing its answer leaves a claim
 * that nobody finishes. Its owner stops renewing it; once the lease has run out, any instance
 * (the restarted one, or another on the same database) fetches the post and handles it again.
 * The replies' outbox entries are made per claim (`once`), so what the first run stored is not
 * posted twice.
 */
import { MattermostApiError } from "../errors.js";
import type { Logger } from "../log.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { UserProfile } from "../mattermost/types.js";
import type { ClaimStore } from "../store/index.js";
import { messageEnvelope, type MessageEnvelope } from "./envelope.js";

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

export interface ClaimKeeperOptions {
  claims: ClaimStore;
  client: MattermostClient;
  logger: Logger;
  me: UserProfile;
  owner: string;
  /** The claims this instance is working on now. */
  inFlight: () => string[];
  /** Handles an abandoned post again (the pipeline claims it anew); resolves once it has. */
  retake: (envelope: MessageEnvelope) => Promise<void>;
  leaseMs?: number;
}

export class ClaimKeeper {
  private timers: NodeJS.Timeout[] = [];
  private renewing: Promise<void> | undefined;
  private scanning: Promise<void> | undefined;
  /** Claims handed back and not yet handled (queued behind a busy channel): not fetched again at every look. */
  private readonly handedBack = new Set<string>();
  readonly leaseMs: number;

  constructor(private readonly options: ClaimKeeperOptions) {
    this.leaseMs = options.leaseMs ?? CLAIM_LEASE_MS;
  }

  start(): void {
    if (this.timers.length > 0) return;
    // two timers: a slow take-over (REST reads of the post) never delays a renewal
    this.timers = [
      setInterval(() => void (this.renewing ??= this.renew().finally(() => (this.renewing = undefined))), renewEveryMs(this.leaseMs)),
      setInterval(() => void (this.scanning ??= this.scan().finally(() => (this.scanning = undefined))), scanEveryMs(this.leaseMs)),
    ];
    for (const timer of this.timers) timer.unref();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await Promise.all([this.renewing, this.scanning]);
  }

  private async renew(): Promise<void> {
    try {
      await this.options.claims.renew(this.options.inFlight(), this.options.owner);
    } catch (error) {
      this.options.logger.warn({ err: error }, "claims: cannot renew this instance's claims; trying again later");
    }
  }

  /** Hands back the abandoned claims' posts. */
  private async scan(): Promise<void> {
    try {
      const mine = new Set(this.options.inFlight());
      for (const id of await this.options.claims.abandoned(Date.now() - this.leaseMs)) {
        if (!mine.has(id) && !this.handedBack.has(id) && id.startsWith(POST_CLAIM)) await this.retake(id.slice(POST_CLAIM.length));
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, "claims: cannot look for abandoned claims; trying again later");
    }
  }

  private async retake(postId: string): Promise<void> {
    const { client, logger, me } = this.options;
    let post;
    try {
      post = await client.getPost(postId);
    } catch (error) {
      if (error instanceof MattermostApiError && (error.status === 404 || error.status === 403)) {
        logger.info({ eventId: postId }, "claims: an abandoned claim's post is gone; nothing to answer");
        return this.options.claims.finish(postClaimId(postId));
      }
      logger.warn({ err: error, eventId: postId }, "claims: cannot read an abandoned claim's post; trying again later");
      return;
    }
    if (post.delete_at) return this.options.claims.finish(postClaimId(postId));
    const channel = await client.getChannel(post.channel_id).catch(() => undefined);
    const sender = await client.getUser(post.user_id).catch(() => undefined);
    const envelope = messageEnvelope(post, { source: "catchup", channel, sender, me });
    logger.warn({ eventId: postId, channelId: post.channel_id }, "claims: a post was claimed but its handling never finished (an instance stopped mid-way); handling it again");
    const claimId = postClaimId(postId);
    this.handedBack.add(claimId);
    void this.options.retake(envelope).finally(() => this.handedBack.delete(claimId));
  }
}
