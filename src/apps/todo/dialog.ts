/**
 * The "Add…" dialog: the item's text, an optional due date and an optional assignee. Bad input
 * comes back as field errors, so the dialog stays open with the message under the field. The
 * list's Add… button opens it with the list post's id as its `state`, so that a valid submission
 * redraws that list, as a Done click does (a submission itself names no post).
 */
import type { Composer } from "../../bot/composer.js";
import type { ActionContext, Dialog, DialogContext } from "../../bot/interaction-context.js";
import { MattermostApiError } from "../../errors.js";
import type { MattermostClient } from "../../mattermost/rest.js";
import { interactiveList, TODO_ACTIONS } from "./buttons.js";
import { normaliseItemText } from "./format.js";
import { parseDueDate } from "./parse.js";
import { describeAdd, MAX_ITEM_LENGTH, type TodoService, type TodoUser } from "./service.js";

export const ADD_DIALOG_ID = "todoadd";
const TEXT_ELEMENT_MAX_LENGTH = 150;

/** The dialog; `listPostId` (the list whose Add… was clicked) comes back as the submission's state. */
export function addItemDialog(listPostId = ""): Dialog {
  return {
    callback_id: ADD_DIALOG_ID,
    state: listPostId,
    title: "Add a to-do item",
    submit_label: "Add",
    elements: [
      // 150 is the most a text element may take; longer items can be added with `/todo add`
      {
        display_name: "Item",
        name: "text",
        type: "text",
        placeholder: "buy milk",
        max_length: TEXT_ELEMENT_MAX_LENGTH,
      },
      {
        display_name: "Due date",
        name: "due",
        type: "text",
        optional: true,
        placeholder: "YYYY-MM-DD",
        help_text: "e.g. 2026-12-01",
      },
      {
        display_name: "Assignee",
        name: "assignee",
        type: "select",
        data_source: "users",
        optional: true,
      },
    ],
  };
}

/** Registers the list's Add… button, which opens the dialog, and the dialog's submission handler. */
export function todoDialog(app: Composer, todo: () => TodoService): void {
  // the trigger id expires within seconds: open the dialog before anything else
  app.action(TODO_ACTIONS.add, (ctx: ActionContext) => ctx.openDialog(addItemDialog(ctx.postId)));
  app.dialog(ADD_DIALOG_ID, (ctx) => addFromDialog(ctx, todo()));
}

async function addFromDialog(ctx: DialogContext, todo: TodoService): Promise<void> {
  const field = (name: string) =>
    typeof ctx.submission[name] === "string" ? (ctx.submission[name] as string).trim() : "";
  const errors: Record<string, string> = {};
  const text = normaliseItemText(field("text"));
  if (text === "") errors.text = "Write what is to be done, e.g. buy milk.";
  else if (text.length > MAX_ITEM_LENGTH)
    errors.text = `This is ${text.length} characters long; please keep it under ${MAX_ITEM_LENGTH}.`;
  const dueText = field("due");
  const due = dueText ? parseDueDate(dueText) : undefined;
  if (dueText && !due)
    errors.due = `"${dueText}" is not a date: write it as YYYY-MM-DD, e.g. 2026-12-01.`;
  const assigneeRef = field("assignee");
  const assignee = assigneeRef ? await findUser(ctx.client, assigneeRef) : undefined;
  if (assigneeRef && !assignee)
    errors.assignee = `There is no user "${assigneeRef}": pick one from the list.`;
  if (Object.keys(errors).length > 0) return ctx.reject(errors);

  // a submission carries the user's id only
  const me = await ctx.client.getUser(ctx.user.id);
  const added = await todo.add(ctx.channel.id, { id: me.id, username: me.username }, text, {
    due,
    assignee,
  });
  // the item is saved: a failed redraw or confirmation must not look like a failed submission
  // (a resubmit would add it twice)
  if (added.ok)
    await redrawList(ctx, todo).catch((error: unknown) => {
      ctx.logger.warn(
        { err: error, postId: ctx.dialogState },
        "todo: could not redraw the list the dialog was opened from",
      );
    });
  await ctx
    .ephemeralPost(
      added.ok ? `${describeAdd(added)}. \`/todo list\` shows the list.` : describeAdd(added),
    )
    .catch((error: unknown) => {
      ctx.logger.warn(
        { err: error, userId: ctx.user.id },
        "todo: could not confirm an item added from the dialog",
      );
    });
}

/**
 * Redraws the list post named by the dialog's state. The state comes back from the client as it
 * was given, unsigned: only a list post (one with the Add… button) of this channel is redrawn.
 */
async function redrawList(ctx: DialogContext, todo: TodoService): Promise<void> {
  const postId = ctx.dialogState;
  if (!/^[a-z0-9]{26}$/.test(postId)) return; // opened by something other than a list's Add…
  const post = await ctx.client.getPost(postId);
  const attachments = (post.props?.attachments ?? []) as Array<{
    actions?: Array<{ id?: string }>;
  }>;
  const isList = attachments.some((a) => a.actions?.some((b) => b.id === TODO_ACTIONS.add));
  if (post.channel_id !== ctx.channel.id || !isList) return;
  await ctx.updatePost(postId, interactiveList(await todo.list(ctx.channel.id)));
}

/** The user of a menu pick (an id) or a typed `@name`; undefined when the server knows no such user. */
async function findUser(client: MattermostClient, ref: string): Promise<TodoUser | undefined> {
  // a 26-character name looks like an id: try it as both
  const lookups = /^[a-z0-9]{26}$/.test(ref)
    ? [() => client.getUser(ref), () => client.getUserByUsername(ref)]
    : [() => client.getUserByUsername(ref)];
  for (const lookup of lookups) {
    try {
      const user = await lookup();
      return { id: user.id, username: user.username };
    } catch (error) {
      if (!(error instanceof MattermostApiError && (error.status === 404 || error.status === 400)))
        throw error;
    }
  }
  return undefined;
}
