/**
 * The contexts of the interactions Mattermost sends over HTTP and waits for: a slash command, a
 * click on a button or menu, a dialog submission. What a handler answers while the request is
 * open goes back inline; after the deadline it goes another way (response_url, REST).
 */
import type { MessageAttachment } from "../http/attachments.js";
import { postToResponseUrl } from "../http/response-url.js";
import type { AnswerSlot } from "./answer-slot.js";
import { Context } from "./context.js";
import type {
  ActionEnvelope,
  DialogEnvelope,
  InteractionEnvelope,
  SlashEnvelope,
} from "./envelope.js";
import type { BotRuntime } from "./runtime.js";

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
  /** Deliver a cancel to the `dialog()` handler (`ctx.cancelled`). */
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

/** A post's new message and props (`attachments` are signed for the channel, like a reply's). */
export interface PostUpdate {
  message: string;
  props?: Record<string, unknown>;
  attachments?: MessageAttachment[];
}

/** The base of the interactions: the open HTTP answer and what has been said into it. */
export abstract class InteractionContext<E extends InteractionEnvelope> extends Context<E> {
  constructor(
    envelope: E,
    runtime: BotRuntime,
    protected readonly slot: AnswerSlot,
  ) {
    super(envelope, runtime);
  }

  /** The request is still open: an answer now goes inline. */
  get answeringInline(): boolean {
    return this.slot.isOpen;
  }

  /** The body of a post update: the props as given, the attachments signed. */
  protected updateBody(update: PostUpdate): { message: string; props: Record<string, unknown> } {
    const props = {
      ...update.props,
      ...(update.attachments && { attachments: this.signed(update.attachments) }),
    };
    return { message: update.message, props };
  }

  /** The body collected so far, taken when the handlers finish or the deadline passes. @internal */
  takeAnswer(): object {
    return {};
  }

  /**
   * Opens a dialog for the user. Call it right away: Mattermost's trigger ids expire after 3 s.
   * The submission goes to the `dialog(callback_id, …)` handler.
   */
  async openDialog(dialog: Dialog): Promise<void> {
    const triggerId = "trigger_id" in this.envelope.payload ? this.envelope.payload.trigger_id : "";
    if (!triggerId)
      throw new Error("openDialog() needs a trigger_id, and this request carried none");
    const urls = this.runtime.interactionUrls;
    if (!urls) throw new Error("dialogs need an HTTP source on the bot, started");
    const url = urls.dialogUrl({
      callbackId: dialog.callback_id,
      channelId: this.channelId,
      userId: this.user.id,
      notifyOnCancel: Boolean(dialog.notify_on_cancel),
    });
    await this.client.request(
      "POST",
      "/actions/dialogs/open",
      { trigger_id: triggerId, url, dialog },
      { idempotent: false },
    );
  }
}

/** A slash command, e.g. `/todo add milk` → `command` "/todo", `text` "add milk". */
export class SlashContext extends InteractionContext<SlashEnvelope> {
  readonly command: string;
  readonly text: string;
  /** Set by `slash(RegExp)`. */
  match: RegExpMatchArray | undefined;

  constructor(envelope: SlashEnvelope, runtime: BotRuntime, slot: AnswerSlot) {
    super(envelope, runtime, slot);
    this.command = envelope.payload.command.toLowerCase();
    this.text = envelope.payload.text.trim();
  }

  get responseUrl(): string {
    return this.envelope.payload.response_url;
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
    await postToResponseUrl(this.runtime.fetch, this.responseUrl, this.toBody(answer));
  }

  /** For the user only: the command's ephemeral answer. */
  override async ephemeral(text: string): Promise<void> {
    await this.respond({ response_type: "ephemeral", text });
  }

  private toBody(answer: SlashAnswer): object {
    const fields = typeof answer === "string" ? { text: answer } : answer;
    const { attachments, ...rest } = fields;
    return {
      response_type: "ephemeral",
      ...rest,
      ...(attachments && { attachments: this.signed(attachments) }),
    };
  }
}

/** A click on a button or a pick in a menu of one of the bot's posts. */
export class ActionContext extends InteractionContext<ActionEnvelope> {
  /** Set by `action(RegExp)`. */
  match: RegExpMatchArray | undefined;
  private pending: { update?: object; ephemeral_text?: string } = {};

  get actionId(): string {
    return this.envelope.actionId;
  }
  /** The context given to `button()`/`select()`, its signature checked. */
  get data(): Record<string, unknown> {
    return this.envelope.data;
  }
  get postId(): string {
    return this.envelope.payload.post_id;
  }
  /** `button` or `select`. */
  get type(): string {
    return this.envelope.payload.type || "button";
  }
  /** The option picked in a menu (a user or channel id for those menus). */
  get selected(): string | undefined {
    const selected = this.envelope.payload.context.selected_option;
    return typeof selected === "string" ? selected : undefined;
  }

  protected override async replyRoot(): Promise<string> {
    const post = await this.client.getPost(this.postId);
    return post.root_id || post.id;
  }

  /**
   * Replaces the clicked post's message and props (no `props`/`attachments` = the buttons go away).
   * @example await ctx.update({ message: "Todo list (1 done)", attachments: [...] })
   */
  async update(update: PostUpdate): Promise<void> {
    const body = this.updateBody(update);
    if (this.slot.isOpen) this.pending.update = body;
    else await this.client.patchPost(this.postId, body);
  }

  /** Shows a message to the clicker only. */
  override async ephemeral(text: string): Promise<void> {
    if (this.slot.isOpen) this.pending.ephemeral_text = text;
    else await super.ephemeral(text);
  }

  override takeAnswer(): object {
    const answer = this.pending;
    this.pending = {};
    return answer;
  }
}

/** A dialog submitted (or cancelled, when the dialog asked `notify_on_cancel`). */
export class DialogContext extends InteractionContext<DialogEnvelope> {
  /** Set by `dialog(RegExp)`. */
  match: RegExpMatchArray | undefined;
  private rejection: { errors?: Record<string, string>; error?: string } | undefined;

  get callbackId(): string {
    return this.envelope.payload.callback_id;
  }
  /** The dialog's `state`, as given to `openDialog()`. */
  get dialogState(): string {
    return this.envelope.payload.state;
  }
  /** The values by element name (text as strings, `bool` as booleans). */
  get submission(): Record<string, unknown> {
    return this.envelope.payload.submission;
  }
  get cancelled(): boolean {
    return this.envelope.payload.cancelled;
  }

  /**
   * Keeps the dialog open with a message under each named field (and `error` above them). Too
   * late for that (past the deadline), the user is told in a private message instead.
   * @example ctx.reject({ text: "Write what is to be done" })
   */
  async reject(errors: Record<string, string>, error?: string): Promise<void> {
    if (this.cancelled) return;
    if (this.slot.isOpen) {
      this.rejection = { ...(Object.keys(errors).length && { errors }), ...(error && { error }) };
      return;
    }
    const problems = Object.entries(errors).map(([field, message]) => `${field}: ${message}`);
    await super.ephemeral(
      `Your ${this.callbackId} form was not accepted: ${[error, ...problems].filter(Boolean).join("; ")}`,
    );
  }

  /** While the dialog is open, its error line; later a private message. */
  override async ephemeral(text: string): Promise<void> {
    if (this.slot.isOpen && !this.cancelled) this.rejection = { error: text };
    else await super.ephemeral(text);
  }

  /**
   * Replaces a post's message and props over REST, e.g. the list whose button opened the dialog
   * (give its id as the dialog's `state`: a submission names no post). The bot needs the right
   * to edit that post: its own, or anyone's with `edit_others_posts`.
   * @example await ctx.updatePost(ctx.dialogState, { message: "Todo list", attachments: [...] })
   */
  async updatePost(postId: string, update: PostUpdate): Promise<void> {
    await this.client.patchPost(postId, this.updateBody(update));
  }

  /** A private message, even while the dialog is open (e.g. a confirmation after a valid submission). */
  async ephemeralPost(text: string): Promise<void> {
    await super.ephemeral(text);
  }

  override takeAnswer(): object {
    const answer = this.rejection ?? {};
    this.rejection = undefined;
    return answer;
  }
}

/** The context of an interaction, answering into `slot`. */
export function interactionContextOf(
  envelope: InteractionEnvelope,
  runtime: BotRuntime,
  slot: AnswerSlot,
): InteractionContext<InteractionEnvelope> {
  if (envelope.kind === "slash") return new SlashContext(envelope, runtime, slot);
  return envelope.kind === "action"
    ? new ActionContext(envelope, runtime, slot)
    : new DialogContext(envelope, runtime, slot);
}
