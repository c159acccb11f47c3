/**
 * Slash commands, clicks and dialog submissions: the handlers registered by `bot.slash()`,
 * `bot.action()` and `bot.dialog()`, and how one request runs — policy first, then the handler
 * against the answer deadline, a failure turned into a message with a reference id.
 */
import { randomBytes } from "node:crypto";
import { HandlerError } from "../errors.js";
import type { Logger } from "../log.js";
import { isAllowed, type Policy } from "../bot/policy.js";
import { AnswerSlot } from "./answer-slot.js";
import { ActionContext, DialogContext, SlashContext, type DialogAnswer, type InteractionServices } from "./contexts.js";
import type { ActionClickPayload, DialogSubmissionPayload, SlashCommandPayload } from "./payloads.js";

export type SlashHandler = (ctx: SlashContext) => unknown;
export type ActionHandler = (ctx: ActionContext) => unknown;
export type DialogHandler = (ctx: DialogContext) => DialogAnswer | Promise<DialogAnswer>;

export interface InteractionsOptions {
  logger: Logger;
  policy: Pick<Policy, "allowedUsers" | "channels">;
  answerWithinMs: number;
}

export class Interactions {
  private readonly slashHandlers = new Map<string, SlashHandler>();
  private readonly actionHandlers = new Map<string, ActionHandler>();
  private readonly dialogHandlers = new Map<string, DialogHandler>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: InteractionsOptions) {}

  addSlash(command: string, handler: SlashHandler): void {
    this.slashHandlers.set(`/${command.replace(/^\//, "").toLowerCase()}`, handler);
  }
  addAction(actionId: string, handler: ActionHandler): void {
    this.actionHandlers.set(actionId, handler);
  }
  addDialog(callbackId: string, handler: DialogHandler): void {
    this.dialogHandlers.set(callbackId, handler);
  }

  /** Resolves when every handler started so far has finished (for a clean stop). */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async runSlash(payload: SlashCommandPayload, services: InteractionServices): Promise<object> {
    const refusal = await this.refusal(payload.user_id, payload.user_name, payload.channel_id, payload.channel_name, services);
    if (refusal) return { response_type: "ephemeral", text: refusal };
    const slot = new AnswerSlot(this.options.answerWithinMs);
    const ctx = new SlashContext(payload, services, slot);
    const handler = this.slashHandlers.get(ctx.command);
    if (!handler) {
      this.options.logger.warn({ command: ctx.command }, `http: no handler for slash command ${ctx.command}`);
      return { response_type: "ephemeral", text: `Sorry, ${ctx.command} is not handled by @${services.me.username}.` };
    }
    this.track(async () => {
      try {
        await handler(ctx);
      } catch (cause) {
        const text = this.failure(cause, `slash ${ctx.command}`, { userId: ctx.user.id, channelId: ctx.channel.id });
        await ctx.respond({ response_type: "ephemeral", text }).catch((error: unknown) => this.options.logger.error({ err: error }, "could not tell the user about the failure"));
      } finally {
        slot.close({});
      }
    });
    return slot.waitForAnswer();
  }

  async runAction(actionId: string, payload: ActionClickPayload, data: Record<string, unknown>, services: InteractionServices): Promise<object> {
    const refusal = await this.refusal(payload.user_id, payload.user_name, payload.channel_id, payload.channel_name, services);
    if (refusal) return { ephemeral_text: refusal };
    let ctx: ActionContext | undefined;
    // at the deadline, whatever the handler has answered so far goes inline
    const slot = new AnswerSlot(this.options.answerWithinMs, () => ctx?.takeAnswer() ?? {});
    ctx = new ActionContext(actionId, payload, data, services, slot);
    const clicked = ctx;
    const handler = this.actionHandlers.get(actionId);
    if (!handler) {
      this.options.logger.warn({ actionId }, `http: no handler for action ${actionId}`);
      return { ephemeral_text: "Sorry, this button is not handled any more." };
    }
    this.track(async () => {
      try {
        await handler(clicked);
      } catch (cause) {
        const text = this.failure(cause, `action ${actionId}`, { userId: clicked.user.id, channelId: clicked.channel.id, postId: clicked.postId });
        await clicked.ephemeral(text).catch((error: unknown) => this.options.logger.error({ err: error }, "could not tell the user about the failure"));
      } finally {
        slot.close(clicked.takeAnswer());
      }
    });
    return slot.waitForAnswer();
  }

  async runDialog(payload: DialogSubmissionPayload, services: InteractionServices): Promise<object> {
    const refusal = await this.refusal(payload.user_id, "", payload.channel_id, "", services);
    if (refusal) return payload.cancelled ? {} : { error: refusal };
    const slot = new AnswerSlot(this.options.answerWithinMs);
    const ctx = new DialogContext(payload, services);
    const handler = this.dialogHandlers.get(ctx.callbackId);
    if (!handler) {
      this.options.logger.warn({ callbackId: ctx.callbackId }, `http: no handler for dialog ${ctx.callbackId}`);
      return payload.cancelled ? {} : { error: "Sorry, this dialog is not handled any more." };
    }
    const tell = (text: string) => ctx.ephemeralPost(text).catch((error: unknown) => this.options.logger.error({ err: error }, "could not tell the user"));
    this.track(async () => {
      let answer: DialogAnswer;
      try {
        answer = await handler(ctx);
      } catch (cause) {
        const text = this.failure(cause, `dialog ${ctx.callbackId}`, { userId: ctx.user.id, channelId: ctx.channel.id });
        if (!slot.close(payload.cancelled ? {} : { error: text })) await tell(text);
        return;
      }
      const body = !payload.cancelled && answer && (answer.errors || answer.error) ? { ...(answer.errors && { errors: answer.errors }), ...(answer.error && { error: answer.error }) } : {};
      if (slot.close(body) || !("errors" in body || "error" in body)) return;
      // too late to keep the dialog open: say what was wrong in the channel instead
      const problems = Object.entries(answer?.errors ?? {}).map(([field, message]) => `${field}: ${message}`);
      await tell(`Your ${ctx.callbackId} form was not accepted: ${[answer?.error, ...problems].filter(Boolean).join("; ")}`);
    });
    return slot.waitForAnswer();
  }

  /** The policy's answer to this user in this channel; names are looked up when the request lacks them (dialogs). */
  private async refusal(userId: string, userName: string, channelId: string, channelName: string, services: InteractionServices): Promise<string | undefined> {
    const { allowedUsers, channels } = this.options.policy;
    const username = async () => userName || (await services.client.getUser(userId).then((u) => u.username, () => undefined));
    if (!isAllowed(userId, undefined, allowedUsers) && !isAllowed(userId, await username(), allowedUsers)) {
      this.options.logger.info({ userId }, "refused a user (policy.allowed_users)");
      return `Sorry, you are not allowed to use @${services.me.username}. Ask an admin to add you to policy.allowed_users.`;
    }
    const nameOfChannel = async () => channelName || (await services.client.getChannel(channelId).then((c) => c.name, () => ""));
    if (channels.length > 0 && !channels.includes(channelId) && !channels.includes(await nameOfChannel())) {
      return `Sorry, @${services.me.username} does not work in this channel.`;
    }
    return undefined;
  }

  private failure(cause: unknown, what: string, where: Record<string, string>): string {
    const error = new HandlerError(randomBytes(4).toString("hex"), what, cause);
    this.options.logger.error({ err: cause, ref: error.reference, ...where }, error.message);
    return `Sorry, something went wrong while handling that (ref \`${error.reference}\`).`;
  }

  private track(task: () => Promise<void>): void {
    const run = task().catch((error: unknown) => this.options.logger.error({ err: error }, "http: interaction failed"));
    this.running.add(run);
    void run.then(() => this.running.delete(run));
  }
}
