/**
 * What happens to every envelope, whatever its source:
 *   dedupe → claim (each post once across instances) → policy → context → handlers → answer.
 * Posts, reactions and events of one channel run in order; interactions run at once, against
 * the deadline of the HTTP request that carries them. Nothing is dropped without a log line.
 */
import { randomBytes } from "node:crypto";
import { HandlerError } from "../errors.js";
import type { Logger } from "../log.js";
import type { MattermostClient } from "../mattermost/rest.js";
import { RecentIdSet } from "../mattermost/recent-ids.js";
import type { UserProfile } from "../mattermost/types.js";
import type { Store } from "../store/index.js";
import { AnswerSlot } from "./answer-slot.js";
import { postClaimId } from "./claim-keeper.js";
import type { Middleware } from "./compose.js";
import type { PipelineObserver } from "./observer.js";
import { Context, EventContext, MessageContext, ReactionContext, type ContextServices } from "./context.js";
import { isInteraction, type Envelope, type InteractionEnvelope, type MessageEnvelope } from "./envelope.js";
import { ActionContext, DialogContext, SlashContext, type InteractionContext } from "./interaction-context.js";
import { decide, isAddressed, type Policy, type PolicyDecision, type PolicyFacts } from "./policy.js";
import { SerialQueue } from "./serial-queue.js";
import type { BotTexts } from "./texts.js";
import { leadingTriggerWord } from "./trigger-words.js";

/** Handles an error thrown by a handler; the default tells the user with a reference id. */
export type BotErrorHandler = (error: HandlerError, ctx: Context) => unknown;

export interface PipelineOptions {
  client: MattermostClient;
  store: Store;
  logger: Logger;
  me: UserProfile;
  policy: Policy;
  texts: BotTexts;
  triggerWords: readonly string[];
  services: ContextServices;
  handler: Middleware<Context>;
  errorHandler: () => BotErrorHandler | undefined;
  /** An interaction's handlers slower than this are acknowledged and answer later. */
  answerWithinMs: number;
  typingDelayMs: number;
  typingIntervalMs: number;
  /** Who claims posts in the store: unique per running bot. */
  instanceId: string;
  /** A claim left unfinished and not renewed for this long is taken over. */
  claimLeaseMs: number;
  /** Told what happens to each envelope (metrics). */
  observer?: PipelineObserver;
  /** Whether an app follows the thread of this root (`App.followsThread`); asked only under `mentionOnly`. */
  followsThread?: (rootId: string) => Promise<boolean>;
}

/** A failed claim is tried again after these delays, then the post is logged as dropped. */
const CLAIM_RETRY_MS = [100, 500, 2_000];

export class Pipeline {
  private readonly queue: SerialQueue;
  private readonly seenPosts = new RecentIdSet(10_000); // the cheap first dedupe, before the store's claim
  private readonly running = new Set<Promise<void>>();
  /** The claims of the posts being handled now (renewed by the bot's ClaimKeeper). */
  private readonly claimed = new Set<string>();
  /** Claims finished once the work their handlers left running (`ctx.holdUntil`) settles. */
  private readonly held = new Set<Promise<void>>();

  constructor(private readonly options: PipelineOptions) {
    this.queue = new SerialQueue((error) => options.logger.error({ err: error }, "pipeline: a task failed outside its own handling"));
  }

  /** The post was seen (handled, or being handled) by this bot. */
  hasSeen(postId: string): boolean {
    return this.seenPosts.has(postId);
  }

  /**
   * Runs one envelope. Resolves with the body to answer an interaction's HTTP request with
   * (at the deadline at the latest), or `{}` once anything else is handled.
   */
  handle(envelope: Envelope): Promise<object> {
    this.options.observer?.received?.(envelope);
    if (isInteraction(envelope)) return this.interact(envelope);
    if (envelope.kind === "message") {
      if (envelope.post.user_id === this.options.me.id) return this.declined(envelope, "own post"); // our own echo: not worth a store write
      if (!this.seenPosts.add(envelope.post.id)) return this.declined(envelope, "duplicate");
    }
    return this.queue.push(envelope.channel.id || "-", () => this.process(envelope)).then(() => ({}));
  }

  /** The claims this instance holds for posts it is handling now. */
  claimsInFlight(): string[] {
    return [...this.claimed];
  }

  /** Handles a post again whose claim was abandoned (by a killed instance); the claim decides who does. Resolves once handled (or not claimed). */
  retake(envelope: MessageEnvelope): Promise<void> {
    this.seenPosts.add(envelope.post.id);
    return this.queue.push(envelope.channel.id || "-", () => this.process(envelope));
  }

  /** Resolves when everything started so far has finished (for a clean stop). */
  async drain(): Promise<void> {
    await this.queue.drain();
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private declined(envelope: Envelope, reason: string): Promise<object> {
    this.options.observer?.declined?.(envelope, { action: "drop", reason });
    return Promise.resolve({});
  }

  private async process(envelope: Exclude<Envelope, InteractionEnvelope>): Promise<void> {
    const { logger } = this.options;
    let claimId: string | undefined;
    let ctx: Context | undefined;
    try {
      if (envelope.kind === "message") {
        if (!(await this.claim(envelope))) return void this.declined(envelope, "not claimed");
        claimId = postClaimId(envelope.post.id);
        this.claimed.add(claimId);
        if (!envelope.triggerWord && this.options.triggerWords.length) envelope.triggerWord = leadingTriggerWord(envelope.post.message, this.options.triggerWords);
      }
      const sender = envelope.kind === "event" ? undefined : await this.options.client.getUser(envelope.user.id).catch(() => undefined);
      const facts: PolicyFacts = { sender };
      if (envelope.kind === "message") facts.inFollowedThread = await this.inFollowedThread(envelope);
      const decision = decide(envelope, this.options.me, facts, this.options.policy);
      const services = this.options.services;
      ctx =
        envelope.kind === "message"
          ? new MessageContext(envelope, services, sender)
          : envelope.kind === "reaction"
            ? new ReactionContext(envelope, services)
            : new EventContext(envelope, services);
      if (!(await this.admit(ctx, decision))) return;
      await this.dispatch(ctx);
    } catch (error) {
      logger.error({ err: error, eventId: envelope.id, kind: envelope.kind, channelId: envelope.channel.id }, "pipeline: the event could not be handled");
    } finally {
      const held = ctx?.heldWork();
      if (claimId !== undefined && held) this.finishAfter(held, claimId, envelope.id);
      else if (claimId !== undefined) await this.finish(claimId, envelope.id);
    }
  }

  /** Keeps the claim (renewed) past the handlers, off the channel's queue, until `work` settles. */
  private finishAfter(work: Promise<void>, claimId: string, eventId: string): void {
    const finishing = work.then(() => this.finish(claimId, eventId));
    this.held.add(finishing);
    void finishing.then(() => this.held.delete(finishing));
  }

  /** Resolves once the work handlers left running (`ctx.holdUntil`) has settled and its claims are finished. */
  async settleHeld(): Promise<void> {
    while (this.held.size > 0) await Promise.all([...this.held]);
  }

  /** The post's handling is over (its replies are in the outbox); a failure leaves the claim to go stale and be handled again. */
  private async finish(claimId: string, eventId: string): Promise<void> {
    try {
      await this.options.store.claims.finish(claimId);
    } catch (error) {
      this.options.logger.error({ err: error, eventId }, "pipeline: cannot mark the post's claim finished; it will be handled again once its lease runs out");
    } finally {
      this.claimed.delete(claimId);
    }
  }

  /** Under `mentionOnly`, whether a reply without a mention is in a thread an app follows (a failing app: no). */
  private async inFollowedThread(envelope: MessageEnvelope): Promise<boolean> {
    const { policy, me, followsThread, logger } = this.options;
    const root = envelope.post.root_id;
    if (!policy.mentionOnly || !followsThread || !root || isAddressed(envelope, me)) return false;
    try {
      return await followsThread(root);
    } catch (error) {
      logger.error({ err: error, eventId: envelope.id, rootId: root }, "pipeline: cannot tell whether an app follows the thread; treated as not followed");
      return false;
    }
  }

  /** Claims the post in the store, retrying a failing store; false when another instance has it (or the store stays down). */
  private async claim(envelope: MessageEnvelope): Promise<boolean> {
    const id = envelope.post.id;
    for (let attempt = 0; ; attempt++) {
      try {
        // a claim left unfinished past its lease (its owner was killed) is taken over
        return await this.options.store.claims.claim(postClaimId(id), this.options.instanceId, Date.now() - this.options.claimLeaseMs);
      } catch (error) {
        const delay = CLAIM_RETRY_MS[attempt];
        if (delay === undefined) {
          this.seenPosts.delete(id); // a later delivery (catch-up, webhook) may try again
          this.options.logger.error({ err: error, eventId: id, channelId: envelope.channel.id, attempts: attempt + 1 }, "pipeline: cannot claim the post in the store; not handled");
          return false;
        }
        this.options.logger.warn({ err: error, eventId: id, attempt: attempt + 1, retryInMs: delay }, "pipeline: cannot claim the post in the store; retrying");
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** Applies the policy's decision; false when the handlers are not to see the event. */
  private async admit(ctx: Context, decision: PolicyDecision): Promise<boolean> {
    if (decision.action === "handle") return true;
    this.options.observer?.declined?.(ctx.envelope, decision);
    if (decision.action === "drop") {
      this.options.logger.debug({ eventId: ctx.id, kind: ctx.kind, reason: decision.reason }, "pipeline: dropped by policy");
      return false;
    }
    this.options.logger.info({ eventId: ctx.id, kind: ctx.kind, userId: ctx.user.id, reason: decision.reason }, "pipeline: refused a user");
    const { me, texts } = this.options;
    if (!(ctx instanceof DialogContext && ctx.cancelled)) {
      await ctx.ephemeral(texts[decision.text](me.username)).catch((error: unknown) => this.options.logger.warn({ err: error, eventId: ctx.id }, "pipeline: could not send the refusal"));
    }
    return false;
  }

  private interact(envelope: InteractionEnvelope): Promise<object> {
    const services = this.options.services;
    let ctx: InteractionContext<InteractionEnvelope> | undefined;
    // at the deadline, whatever the handler has answered so far goes inline
    const slot = new AnswerSlot(this.options.answerWithinMs, () => ctx?.takeAnswer() ?? {});
    ctx =
      envelope.kind === "slash"
        ? new SlashContext(envelope, services, slot)
        : envelope.kind === "action"
          ? new ActionContext(envelope, services, slot)
          : new DialogContext(envelope, services, slot);
    const interaction = ctx;
    const run = this.runInteraction(interaction)
      .catch((error: unknown) => this.options.logger.error({ err: error, eventId: envelope.id, kind: envelope.kind }, "pipeline: the interaction could not be handled"))
      .finally(() => slot.close(interaction.takeAnswer()));
    this.running.add(run);
    void run.then(() => this.running.delete(run));
    return slot.waitForAnswer();
  }

  private async runInteraction(ctx: InteractionContext<InteractionEnvelope>): Promise<void> {
    const facts: PolicyFacts = {};
    const { client, policy } = this.options;
    // a dialog submission names neither the user nor the channel: look them up only when the policy needs names
    if (!ctx.user.name && Array.isArray(policy.allowedUsers) && !policy.allowedUsers.includes(ctx.user.id)) {
      facts.sender = await client.getUser(ctx.user.id).catch(() => undefined);
    }
    if (!ctx.channel.name && policy.channels.length > 0 && !policy.channels.includes(ctx.channelId)) {
      facts.channelName = await client.getChannel(ctx.channelId).then((c) => c.name, () => "");
    }
    if (!(await this.admit(ctx, decide(ctx.envelope, this.options.me, facts, policy)))) return;
    await this.dispatch(ctx, async () => {
      if (ctx instanceof DialogContext && ctx.cancelled) return;
      const what = ctx instanceof SlashContext ? ctx.command : ctx instanceof ActionContext ? "this button" : "this dialog";
      this.options.logger.warn({ eventId: ctx.id, kind: ctx.kind }, `pipeline: no handler took the ${ctx.kind}`);
      await ctx.ephemeral(this.options.texts.notHandled(what, this.options.me.username));
    });
  }

  /** Runs the handlers; a throw is logged with a reference and answered (by `bot.catch`'s handler, or the default). */
  private async dispatch(ctx: Context, unhandled?: () => Promise<void>): Promise<void> {
    const typing = ctx instanceof MessageContext ? this.keepTyping(ctx) : undefined;
    const started = performance.now();
    let failed = false;
    try {
      await this.options.handler(ctx, unhandled ?? (async () => undefined));
    } catch (cause) {
      failed = true;
      const error = new HandlerError(randomBytes(4).toString("hex"), ctx.kind, cause);
      this.options.logger.error({ err: cause, ref: error.reference, eventId: ctx.id, kind: ctx.kind, channelId: ctx.channelId }, error.message);
      try {
        const handler = this.options.errorHandler();
        if (handler) await handler(error, ctx);
        else if (ctx instanceof MessageContext) await ctx.reply(this.options.texts.failed(error.reference));
        else await ctx.ephemeral(this.options.texts.failed(error.reference));
      } catch (secondary) {
        this.options.logger.error({ err: secondary, ref: error.reference, eventId: ctx.id }, "pipeline: the error handler failed too");
      }
    } finally {
      typing?.stop();
      this.options.observer?.handled?.(ctx.envelope, (performance.now() - started) / 1000, failed);
    }
  }

  /** Typing indicator for handlers that take a while; fast answers don't flash it. */
  private keepTyping(ctx: Context): { stop(): void } {
    const send = () => void ctx.typing().catch((error: unknown) => this.options.logger.debug({ err: error, eventId: ctx.id }, "typing failed"));
    let interval: NodeJS.Timeout | undefined;
    const delay = setTimeout(() => {
      send();
      interval = setInterval(send, this.options.typingIntervalMs);
    }, this.options.typingDelayMs);
    return {
      stop() {
        clearTimeout(delay);
        clearInterval(interval);
      },
    };
  }
}
