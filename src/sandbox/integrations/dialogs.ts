/**
 * Interactive dialogs (`OpenInteractiveDialog`, `SubmitInteractiveDialog`): an integration opens a
 * dialog with a fresh signed trigger id (the `open_dialog` event goes to the user the trigger was
 * issued to); the user's submission is POSTed to the dialog URL and its `errors` handed back.
 */
import { ERRORS, fail, invalidBodyParam, type ErrorSpec } from "../errors.js";
import { target } from "../world.js";
import type { IntegrationContext } from "./context.js";
import { isRecord } from "./slack.js";
import { parseJson } from "../json.js";

const JSON_ERROR: ErrorSpec = {
  id: "app.submit_interactive_dialog.json_error",
  message: "Encountered an error encoding JSON for the interactive dialog.",
  status: 400,
};
const INTEGRATION_ERROR: ErrorSpec = {
  id: "api.post.do_action.action_integration.app_error",
  message: "Action integration error.",
  status: 400,
};

export interface DialogElement {
  display_name: string;
  name: string;
  type: string;
  subtype: string;
  default: string;
  placeholder: string;
  help_text: string;
  optional: boolean;
  min_length: number;
  max_length: number;
  data_source: string;
  options: Array<{ text: string; value: string }> | null;
}

export interface Dialog {
  callback_id: string;
  title: string;
  introduction_text: string;
  icon_url: string;
  elements: DialogElement[] | null;
  submit_label: string;
  notify_on_cancel: boolean;
  state: string;
}

/** What the `open_dialog` event carries (its trigger id is the client's half). */
export interface OpenedDialog {
  trigger_id: string;
  url: string;
  dialog: Dialog;
}

export interface DialogSubmission {
  url: string;
  callback_id?: string;
  state?: string;
  channel_id: string;
  team_id: string;
  submission?: Record<string, unknown>;
  cancelled?: boolean;
}

/** The integration's answer as the client gets it: `{}` or field errors / a general error. */
export interface DialogSubmitResult {
  error?: string;
  errors?: Record<string, string>;
}

export class Dialogs {
  private readonly opened = new Map<string, OpenedDialog[]>();

  constructor(private readonly context: IntegrationContext) {}

  /** `POST /actions/dialogs/open`: needs a fresh trigger id; the dialog opens for the user it was issued to. */
  open(body: Record<string, unknown>): OpenedDialog {
    if (typeof body.url !== "string" || body.url === "") fail(invalidBodyParam("url"));
    if (typeof body.trigger_id !== "string") fail(invalidBodyParam("trigger_id"));
    const { clientTriggerId, userId } = this.context.triggers.verify(body.trigger_id);
    const opened: OpenedDialog = {
      trigger_id: clientTriggerId,
      url: body.url,
      dialog: dialog(isRecord(body.dialog) ? body.dialog : {}),
    };
    const list = this.opened.get(userId) ?? [];
    this.opened.set(userId, list);
    list.push(opened);
    this.context.hub.broadcast({
      event: "open_dialog",
      data: { dialog: JSON.stringify(opened) },
      broadcast: target({ user_id: userId }),
    });
    return opened;
  }

  /** Dialogs opened for the user, oldest first. */
  openedFor(userId: string): OpenedDialog[] {
    return [...(this.opened.get(userId) ?? [])];
  }

  /** `POST /actions/dialogs/submit` as `userId`. */
  async submit(userId: string, input: DialogSubmission): Promise<DialogSubmitResult> {
    const { world, client } = this.context;
    if (typeof input.url !== "string" || input.url === "") fail(invalidBodyParam("url"));
    const channel = world.channels.get(input.channel_id);
    if (!channel || !world.canRead(userId, channel)) fail(ERRORS.permissions);
    if (!world.isTeamMember(input.team_id, userId) && !world.isAdmin(userId))
      fail(ERRORS.permissions);
    const submission = isRecord(input.submission) ? input.submission : {};
    const request = {
      type: "dialog_submission",
      callback_id: typeof input.callback_id === "string" ? input.callback_id : "",
      state: typeof input.state === "string" ? input.state : "",
      user_id: userId,
      channel_id: input.channel_id,
      team_id: input.team_id,
      // Go marshals a map with its keys sorted
      submission: Object.fromEntries(
        Object.keys(submission)
          .sort()
          .map((k) => [k, submission[k]]),
      ),
      cancelled: input.cancelled === true,
    };
    const answer = await client.send({
      kind: "dialog",
      method: "POST",
      url: input.url,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(request),
    });
    if (!answer.ok) fail(INTEGRATION_ERROR, `err=${answer.error}`);
    if (answer.statusCode !== 200) fail(INTEGRATION_ERROR, `status=${answer.statusCode}`);
    if (answer.body.length === 0) return {};
    let parsed: unknown;
    try {
      parsed = parseJson(answer.body);
    } catch {
      fail(JSON_ERROR);
    }
    const result: DialogSubmitResult = {};
    if (isRecord(parsed)) {
      if (typeof parsed.error === "string" && parsed.error !== "") result.error = parsed.error;
      if (isRecord(parsed.errors) && Object.keys(parsed.errors).length > 0)
        result.errors = parsed.errors as Record<string, string>;
    }
    return result;
  }
}

/** Every field of `model.Dialog` with its zero value. */
function dialog(raw: Record<string, unknown>): Dialog {
  const str = (o: Record<string, unknown>, k: string) =>
    typeof o[k] === "string" ? (o[k] as string) : "";
  const num = (o: Record<string, unknown>, k: string) =>
    typeof o[k] === "number" ? (o[k] as number) : 0;
  return {
    callback_id: str(raw, "callback_id"),
    title: str(raw, "title"),
    introduction_text: str(raw, "introduction_text"),
    icon_url: str(raw, "icon_url"),
    elements: Array.isArray(raw.elements)
      ? raw.elements.filter(isRecord).map((e) => ({
          display_name: str(e, "display_name"),
          name: str(e, "name"),
          type: str(e, "type"),
          subtype: str(e, "subtype"),
          default: str(e, "default"),
          placeholder: str(e, "placeholder"),
          help_text: str(e, "help_text"),
          optional: e.optional === true,
          min_length: num(e, "min_length"),
          max_length: num(e, "max_length"),
          data_source: str(e, "data_source"),
          options: Array.isArray(e.options)
            ? e.options
                .filter(isRecord)
                .map((o) => ({ text: str(o, "text"), value: str(o, "value") }))
            : null,
        }))
      : null,
    submit_label: str(raw, "submit_label"),
    notify_on_cancel: raw.notify_on_cancel === true,
    state: str(raw, "state"),
  };
}
