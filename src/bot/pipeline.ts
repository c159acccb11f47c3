/**
 * What happens to every envelope, whatever its source:
 *   dedupe → claim (each post once across instances, `claims.ts`) → policy → context → handlers → answer.
 * Posts, reactions and events of one channel run in order; interactions run at once, against
 * the deadline of the HTTP request that carries them. Nothing is dropped without a log line.
 */
import { randomBytes } from "node:crypto";
import { HandlerError } from "../errors.js";
import { AnswerSlot } from "./answer-slot.js";
import type { Claims, OnceScope } from "./claims.js";
import type { Middleware } from "./compose.js";
import { contextOf, MessageContext, type Context } from "./context.js";
import {
  isInteraction,
  type Envelope,
  type InteractionEnvelope,
  type MessageEnvelope,
} from "./envelope.js";
import {
  ActionContext,
  DialogContext,
  interactionContextOf,
  SlashContext,
  type InteractionContext,
} from "./interaction-context.js";
import { decide, isAddressed, type PolicyDecision, type PolicyFacts } from "./policy.js";
import type { BotRuntime } from "./runtime.js";
import { SerialQueue } from "./serial-queue.js";
import { leadingTriggerWord } from "./trigger-words.js";

/** Handles an error thrown by a handler; the default tells the user with a reference id. */
export type BotErrorHandler = (error: HandlerError, ctx: Context) => unknown;

/** The pipeline's own settings: the bot's handlers and how they are run. */
export interface PipelineStages {
  handler: Middleware<Context>;
  errorHandler: () => BotErrorHandler | undefined;
  triggerWords: readonly string[];
  /** A message handler still running after this long shows "typing…", repeated every `typingIntervalMs`. */
  typingDelayMs: number;
  typingIntervalMs: number;
  /** Whether an app follows the thread of this root (`App.followsThread`); asked only under `mentionOnly`. */
  followsThread(rootId: string): Promise<boolean>;
}

export class Pipeline {
  private readonly queue: SerialQueue;
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly runtime: BotRuntime,
    private readonly claims: Claims,
    private readonly stages: PipelineStages,
  ) {
    this.queue = new SerialQueue((error) =>
      runtime.logger.error({ err: error }, "pipeline: a task failed outside its own handling"),
    );
  }

  /** Runs one envelope; resolves with an interaction's inline answer (by its deadline), or `{}` once anything else is handled. */
  handle(envelope: Envelope): Promise<object> {
    this.runtime.observer?.received?.(envelope);
    if (isInteraction(envelope)) return this.interact(envelope);
    if (envelope.kind === "message") {
      if (envelope.post.user_id === this.runtime.me.id) return this.declined(envelope, "own post"); // our own echo: not worth a store write
      if (!this.claims.see(envelope.post.id)) return this.declined(envelope, "duplicate");
    }
    return this.queue
      .push(envelope.channel.id || "-", () => this.process(envelope))
      .then(() => ({}));
  }

  /** Handles a post again whose claim was abandoned; the claim decides who does. Resolves once handled (or not claimed). */
  retake(envelope: MessageEnvelope): Promise<void> {
    return this.queue.push(envelope.channel.id || "-", () => this.process(envelope));
  }

  /** Resolves when everything started so far has finished (for a clean stop). */
  async drain(): Promise<void> {
    await this.queue.drain();
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  private declined(envelope: Envelope, reason: string): Promise<object> {
    this.runtime.observer?.declined?.(envelope, { action: "drop", reason });
    return Promise.resolve({});
  }

  private async process(envelope: Exclude<Envelope, InteractionEnvelope>): Promise<void> {
    const { runtime } = this;
    let once: OnceScope | undefined;
    try {
      if (envelope.kind === "message") {
        once = await this.claims.take(envelope);
        if (!once) return void this.declined(envelope, "not claimed");
        if (!envelope.triggerWord && this.stages.triggerWords.length)
          envelope.triggerWord = leadingTriggerWord(
            envelope.post.message,
            this.stages.triggerWords,
          );
      }
      const sender =
        envelope.kind === "event"
          ? undefined
          : await runtime.client.getUser(envelope.user.id).catch(() => undefined);
      const facts: PolicyFacts = { sender };
      if (envelope.kind === "message")
        facts.inFollowedThread = await this.inFollowedThread(envelope);
      const ctx = contextOf(envelope, runtime, sender, once);
      if (await this.admit(ctx, decide(envelope, runtime.me, facts, runtime.policy)))
        await this.dispatch(ctx);
    } catch (error) {
      runtime.logger.error(
        { err: error, eventId: envelope.id, kind: envelope.kind, channelId: envelope.channel.id },
        "pipeline: the event could not be handled",
      );
    } finally {
      if (once) await this.claims.release(once, envelope.id);
    }
  }

  /** Under `mentionOnly`, whether a reply without a mention is in a thread an app follows (a failing app: no). */
  private async inFollowedThread(envelope: MessageEnvelope): Promise<boolean> {
    const { policy, me, logger } = this.runtime;
    const root = envelope.post.root_id;
    if (!policy.mentionOnly || !root || isAddressed(envelope, me)) return false;
    try {
      return await this.stages.followsThread(root);
    } catch (error) {
      logger.error(
        { err: error, eventId: envelope.id, rootId: root },
        "pipeline: cannot tell whether an app follows the thread; treated as not followed",
      );
      return false;
    }
  }

  /** Applies the policy's decision; false when the handlers are not to see the event. */
  private async admit(ctx: Context, decision: PolicyDecision): Promise<boolean> {
    if (decision.action === "handle") return true;
    const { observer, logger, me, texts } = this.runtime;
    observer?.declined?.(ctx.envelope, decision);
    if (decision.action === "drop") {
      logger.debug(
        { eventId: ctx.id, kind: ctx.kind, reason: decision.reason },
        "pipeline: dropped by policy",
      );
      return false;
    }
    logger.info(
      { eventId: ctx.id, kind: ctx.kind, userId: ctx.user.id, reason: decision.reason },
      "pipeline: refused a user",
    );
    if (!(ctx instanceof DialogContext && ctx.cancelled)) {
      await ctx
        .ephemeral(texts[decision.text](me.username))
        .catch((error: unknown) =>
          logger.warn({ err: error, eventId: ctx.id }, "pipeline: could not send the refusal"),
        );
    }
    return false;
  }

  private interact(envelope: InteractionEnvelope): Promise<object> {
    const { runtime } = this;
    // at the deadline, whatever the handler has answered so far goes inline
    const slot: AnswerSlot = new AnswerSlot(runtime.answerWithinMs, () => ctx.takeAnswer());
    const ctx = interactionContextOf(envelope, runtime, slot);
    const run = this.runInteraction(ctx)
      .catch((error: unknown) =>
        runtime.logger.error(
          { err: error, eventId: envelope.id, kind: envelope.kind },
          "pipeline: the interaction could not be handled",
        ),
      )
      .finally(() => slot.close(ctx.takeAnswer()));
    this.running.add(run);
    void run.then(() => this.running.delete(run));
    return slot.waitForAnswer();
  }

  private async runInteraction(ctx: InteractionContext<InteractionEnvelope>): Promise<void> {
    const { client, policy, me, logger, texts } = this.runtime;
    const facts: PolicyFacts = {};
    // a dialog submission names neither the user nor the channel: look them up only when the policy needs names
    if (
      !ctx.user.name &&
      Array.isArray(policy.allowedUsers) &&
      !policy.allowedUsers.includes(ctx.user.id)
    ) {
      facts.sender = await client.getUser(ctx.user.id).catch(() => undefined);
    }
    if (
      !ctx.channel.name &&
      policy.channels.length > 0 &&
      !policy.channels.includes(ctx.channelId)
    ) {
      facts.channelName = await client.getChannel(ctx.channelId).then(
        (c) => c.name,
        () => "",
      );
    }
    if (!(await this.admit(ctx, decide(ctx.envelope, me, facts, policy)))) return;
    await this.dispatch(ctx, async () => {
      if (ctx instanceof DialogContext && ctx.cancelled) return;
      const what =
        ctx instanceof SlashContext
          ? ctx.command
          : ctx instanceof ActionContext
            ? "this button"
            : "this dialog";
      logger.warn({ eventId: ctx.id, kind: ctx.kind }, `pipeline: no handler took the ${ctx.kind}`);
      await ctx.ephemeral(texts.notHandled(what, me.username));
    });
  }

  /** Runs the handlers; a throw is logged with a reference and answered (by `bot.catch`'s handler, or the default). */
  private async dispatch(ctx: Context, unhandled?: () => Promise<void>): Promise<void> {
    const { logger, texts, observer } = this.runtime;
    const typing =
      ctx instanceof MessageContext
        ? ctx.keepTyping(this.stages.typingDelayMs, this.stages.typingIntervalMs)
        : undefined;
    const started = performance.now();
    let failed = false;
    try {
      await this.stages.handler(ctx, unhandled ?? (async () => undefined));
    } catch (cause) {
      failed = true;
      const error = new HandlerError(randomBytes(4).toString("hex"), ctx.kind, cause);
      logger.error(
        {
          err: cause,
          ref: error.reference,
          eventId: ctx.id,
          kind: ctx.kind,
          channelId: ctx.channelId,
        },
        error.message,
      );
      try {
        const handler = this.stages.errorHandler();
        if (handler) await handler(error, ctx);
        else if (ctx instanceof MessageContext) await ctx.reply(texts.failed(error.reference));
        else await ctx.ephemeral(texts.failed(error.reference));
      } catch (secondary) {
        logger.error(
          { err: secondary, ref: error.reference, eventId: ctx.id },
          "pipeline: the error handler failed too",
        );
      }
    } finally {
      typing?.stop();
      observer?.handled?.(ctx.envelope, (performance.now() - started) / 1000, failed);
    }
  }
}
