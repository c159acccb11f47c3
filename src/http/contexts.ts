/**
 * What slash command, click and dialog handlers see: who, where, the request's data, and the
 * ways to answer (inline while the request is open, later over response_url or REST).
 */
import type { Logger } from "../log.js";
import { sendEphemeral } from "../bot/ephemeral.js";
import type { MattermostClient } from "../mattermost/rest.js";
import type { UserProfile } from "../mattermost/types.js";
import type { AnswerSlot } from "./answer-slot.js";
import type { MessageAttachment } from "./attachments.js";
import type { ActionClickPayload, DialogSubmissionPayload, SlashCommandPayload } from "./payloads.js";
import { postToResponseUrl } from "./response-url.js";
import type { DialogBinding } from "./signature.js";

/** What contexts need from the bot; injected so they can be built in tests. */
export interface InteractionServices {
  client: MattermostClient;
  logger: Logger;
  me: UserProfile;
  fetch: typeof fetch;
  /** Points the actions at the bot and signs them for a channel. */
  signAttachments(attachments: readonly MessageAttachment[], channelId: string): MessageAttachment[];
  /** The signed URL a dialog submits to. */
  dialogUrl(binding: DialogBinding): string;
}

/** A slash command's answer: text, or the fields Mattermost reads. Default `response_type`: ephemeral. */
export type SlashAnswer =
  | string
  | {
      text?: string;
      response_type?: "ephemeral" | "in_channel";
      attachments?: MessageAttachment[];
      goto_location?: string;
      props?: Record<string, unknown>;
    };

/** An interactive dialog (`POST /actions/dialogs/open`). */
export interface Dialog {
  callback_id: string;
  title: string;
  introduction_text?: string;
  icon_url?: string;
  elements: DialogElement[];
  submit_label?: string;
  /** Deliver a cancel to the `bot.dialog()` handler (`ctx.cancelled`). */
  notify_on_cancel?: boolean;
  /** Comes back with the submission as `ctx.dialogState`. */
  state?: string;
}

export interface DialogElement {
  display_name: string;
  name: string;
  type: "text" | "textarea" | "select" | "bool" | "radio";
  subtype?: "email" | "number" | "password" | "tel" | "url";
  default?: string;
  placeholder?: string;
  help_text?: string;
  optional?: boolean;
  min_length?: number;
  max_length?: number;
  data_source?: "users" | "channels";
  options?: { text: string; value: string }[];
}

/** A dialog handler's answer: `{errors: {field: message}}` keeps the dialog open with the messages shown. */
export type DialogAnswer = { errors?: Record<string, string>; error?: string } | void;

abstract class InteractionContext {
  /** Free space for middleware-like helpers to pass things along. */
  readonly state: Record<string, unknown> = {};
  abstract readonly user: { id: string; name: string };
  abstract readonly channel: { id: string; name: string };

  constructor(protected readonly services: InteractionServices) {}

  get client(): MattermostClient {
    return this.services.client;
  }
  get logger(): Logger {
    return this.services.logger;
  }
  get me(): UserProfile {
    return this.services.me;
  }

  /** A message only the user sees, sent over REST (works at any time; a direct message if the bot may not). */
  async ephemeralPost(text: string): Promise<void> {
    await sendEphemeral({ client: this.client, me: this.me, logger: this.logger }, this.user.id, { channel_id: this.channel.id, message: text });
  }
}

abstract class TriggeredContext extends InteractionContext {
  abstract readonly triggerId: string;

  /**
   * Opens a dialog for the user. Call it right away: Mattermost's trigger ids expire after 3 s.
   * The submission goes to `bot.dialog(callback_id, …)`.
   */
  async openDialog(dialog: Dialog): Promise<void> {
    if (!this.triggerId) throw new Error("openDialog() needs a trigger_id, and this request carried none");
    const url = this.services.dialogUrl({ callbackId: dialog.callback_id, channelId: this.channel.id, userId: this.user.id, notifyOnCancel: Boolean(dialog.notify_on_cancel) });
    await this.client.request("POST", "/actions/dialogs/open", { trigger_id: this.triggerId, url, dialog }, { idempotent: false });
  }
}

/** A slash command, e.g. `/todo add milk` → `command` "/todo", `text` "add milk". */
export class SlashContext extends TriggeredContext {
  readonly command: string;
  readonly text: string;
  readonly user: { id: string; name: string };
  readonly channel: { id: string; name: string };
  readonly team: { id: string; domain: string };
  readonly triggerId: string;
  readonly responseUrl: string;

  constructor(
    readonly payload: SlashCommandPayload,
    services: InteractionServices,
    private readonly slot: AnswerSlot,
  ) {
    super(services);
    this.command = payload.command.toLowerCase();
    this.text = payload.text.trim();
    this.user = { id: payload.user_id, name: payload.user_name };
    this.channel = { id: payload.channel_id, name: payload.channel_name };
    this.team = { id: payload.team_id, domain: payload.team_domain };
    this.triggerId = payload.trigger_id;
    this.responseUrl = payload.response_url;
  }

  /**
   * Answers the command: inline while the request is still open, else through `response_url`.
   * @example await ctx.respond({ text: "Added", response_type: "in_channel" })
   */
  async respond(answer: SlashAnswer): Promise<void> {
    if (this.slot.close(this.toBody(answer))) return;
    await this.respondLater(answer);
  }

  /** Answers through `response_url` (Mattermost accepts several answers there for 30 minutes). */
  async respondLater(answer: SlashAnswer): Promise<void> {
    await postToResponseUrl(this.services.fetch, this.responseUrl, this.toBody(answer));
  }

  private toBody(answer: SlashAnswer): object {
    const fields = typeof answer === "string" ? { text: answer } : answer;
    const { attachments, ...rest } = fields;
    return {
      response_type: "ephemeral",
      ...rest,
      ...(attachments && { attachments: this.services.signAttachments(attachments, this.channel.id) }),
    };
  }
}

/** A click on a button or a pick in a menu of one of the bot's posts. */
export class ActionContext extends TriggeredContext {
  readonly actionId: string;
  readonly user: { id: string; name: string };
  readonly channel: { id: string; name: string };
  readonly team: { id: string; domain: string };
  readonly triggerId: string;
  readonly postId: string;
  /** `button` or `select`. */
  readonly type: string;
  /** The option picked in a menu (a user or channel id for those menus). */
  readonly selected: string | undefined;
  private pending: { update?: object; ephemeral_text?: string } = {};

  constructor(
    actionId: string,
    readonly payload: ActionClickPayload,
    /** The context given to `button()`/`select()`, checked against its signature. */
    readonly data: Record<string, unknown>,
    services: InteractionServices,
    private readonly slot: AnswerSlot,
  ) {
    super(services);
    this.actionId = actionId;
    this.user = { id: payload.user_id, name: payload.user_name };
    this.channel = { id: payload.channel_id, name: payload.channel_name };
    this.team = { id: payload.team_id, domain: payload.team_domain };
    this.triggerId = payload.trigger_id;
    this.postId = payload.post_id;
    this.type = payload.type || "button";
    const selected = payload.context.selected_option;
    this.selected = typeof selected === "string" ? selected : undefined;
  }

  /**
   * Replaces the clicked post's message and props (no `props`/`attachments` = the buttons go away).
   * @example await ctx.update({ message: "Todo list (1 done)", attachments: [...] })
   */
  async update(update: { message: string; props?: Record<string, unknown>; attachments?: MessageAttachment[] }): Promise<void> {
    const props = { ...update.props, ...(update.attachments && { attachments: this.services.signAttachments(update.attachments, this.channel.id) }) };
    const body = { message: update.message, props };
    if (this.slot.isOpen) this.pending.update = body;
    else await this.client.patchPost(this.postId, body);
  }

  /** Shows a message to the clicker only. */
  async ephemeral(text: string): Promise<void> {
    if (this.slot.isOpen) this.pending.ephemeral_text = text;
    else await this.ephemeralPost(text);
  }

  /** The answers collected while the request is open; the bot sends them inline. @internal */
  takeAnswer(): object {
    const answer = this.pending;
    this.pending = {};
    return answer;
  }
}

/** A dialog submitted (or cancelled, when the dialog asked `notify_on_cancel`). */
export class DialogContext extends InteractionContext {
  readonly callbackId: string;
  readonly user: { id: string; name: string };
  readonly channel: { id: string; name: string };
  readonly teamId: string;
  /** The dialog's `state`, as given to `openDialog()`. */
  readonly dialogState: string;
  /** The values by element name (text as strings, `bool` as booleans). */
  readonly submission: Record<string, unknown>;
  readonly cancelled: boolean;

  constructor(
    readonly payload: DialogSubmissionPayload,
    services: InteractionServices,
  ) {
    super(services);
    this.callbackId = payload.callback_id;
    this.user = { id: payload.user_id, name: "" };
    this.channel = { id: payload.channel_id, name: "" };
    this.teamId = payload.team_id;
    this.dialogState = payload.state;
    this.submission = payload.submission;
    this.cancelled = payload.cancelled;
  }
}
