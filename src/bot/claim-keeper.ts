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
import { postedEvent } from "../mattermost/catch-up.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { UserProfile } from "../mattermost/types.js";
import type { ClaimStore } from "../store/index.js";
import { fromWireEvent, type MessageEnvelope } from "./envelope.js";

/** A claim not renewed for this long is abandoned (its owner renews it every third of it). */
export const CLAIM_LEASE_MS = 30_000;

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
  /** Handles an abandoned post again (the pipeline claims it anew). */
  retake: (envelope: MessageEnvelope) => void;
  leaseMs?: number;
}

export class ClaimKeeper {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  readonly leaseMs: number;

  constructor(private readonly options: ClaimKeeperOptions) {
    this.leaseMs = options.leaseMs ?? CLAIM_LEASE_MS;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.round ??= this.tick().finally(() => (this.round = undefined));
    }, this.leaseMs / 3);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  /** Renews this instance's claims, then hands back the abandoned ones. */
  async tick(): Promise<void> {
    const { claims, logger, owner } = this.options;
    try {
      await claims.renew(this.options.inFlight(), owner);
      const mine = new Set(this.options.inFlight());
      for (const id of await claims.abandoned(Date.now() - this.leaseMs)) {
        if (!mine.has(id) && id.startsWith(POST_CLAIM)) await this.retake(id.slice(POST_CLAIM.length));
      }
    } catch (error) {
      logger.warn({ err: error }, "claims: cannot renew or look for abandoned claims; trying again later");
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
    const envelope = fromWireEvent({ source: "catchup", ...postedEvent(post, channel, sender, me) });
    if (envelope.kind !== "message") return;
    logger.warn({ eventId: postId, channelId: post.channel_id }, "claims: a post was claimed but its handling never finished (an instance stopped mid-way); handling it again");
    this.options.retake(envelope);
  }
}
