/**
 * The list with buttons (`/todo list`): each open item with Done and Delete, and an "Add…" button
 * that opens the add dialog. A click changes the item by its stable id (signed into the button,
 * so numbers shifting under a stale list cannot hit the wrong item) and redraws the list post
 * in place, for everyone in the channel.
 */
import type { Composer } from "../../bot/composer.js";
import type { ActionContext } from "../../bot/interaction-context.js";
import { button, type MessageAttachment } from "../../http/attachments.js";
import { renderHeader, renderLine } from "./format.js";
import { describeOutcome, type NumberedItem, type TodoService } from "./service.js";

/**
 * Action ids: letters and digits (Mattermost routes nothing else), and unique within the post,
 * since the server finds a clicked action by its id: `tododone1` is the first item's Done button.
 */
export const TODO_ACTIONS = { done: "tododone", delete: "tododelete", add: "todoadd" } as const;

/** Open items beyond this many are listed in the text without buttons: a post has room for only so many. */
const MAX_ITEMS_WITH_BUTTONS = 20;

const EMPTY_INTERACTIVE_LIST_TEXT =
  "The list is empty. Add an item with the button below, or with `/todo add <text>`.";

/** The list post: the header and done items as text, each open item as an attachment with its buttons. */
export function interactiveList(items: NumberedItem[]): {
  message: string;
  attachments: MessageAttachment[];
} {
  const addButton: MessageAttachment = {
    actions: [button(TODO_ACTIONS.add, "Add…", { style: "primary" })],
  };
  if (items.length === 0) return { message: EMPTY_INTERACTIVE_LIST_TEXT, attachments: [addButton] };
  const open = items.filter((i) => !i.item.done);
  const withButtons = open.slice(0, MAX_ITEMS_WITH_BUTTONS);
  const asText = [...open.slice(MAX_ITEMS_WITH_BUTTONS), ...items.filter((i) => i.item.done)];
  const message = [
    renderHeader(items),
    ...(asText.length ? ["", ...asText.map(renderLine)] : []),
  ].join("\n");
  const itemAttachments = withButtons.map(
    (numbered, i): MessageAttachment => ({
      text: renderLine(numbered).replace(/^- /, ""),
      actions: [
        button(`${TODO_ACTIONS.done}${i + 1}`, "Done", {
          style: "success",
          context: { item: numbered.item.id },
        }),
        button(`${TODO_ACTIONS.delete}${i + 1}`, "Delete", {
          style: "danger",
          context: { item: numbered.item.id },
        }),
      ],
    }),
  );
  return { message, attachments: [...itemAttachments, addButton] };
}

/** One handler for every Done and Delete button of a list (the item is in the signed context); Add… is the dialog's (dialog.ts). */
export function todoButtons(app: Composer, todo: () => TodoService): void {
  const itemButton = new RegExp(`^(${TODO_ACTIONS.done}|${TODO_ACTIONS.delete})\\d+$`);
  app.action(itemButton, (ctx) =>
    changeItem(ctx, todo(), ctx.match?.[1] === TODO_ACTIONS.done ? "done" : "delete"),
  );
}

async function changeItem(
  ctx: ActionContext,
  todo: TodoService,
  change: "done" | "delete",
): Promise<void> {
  const id = ctx.data.item;
  if (typeof id !== "string") {
    await ctx.ephemeral(
      "This button names no item. `/todo list` shows the list with fresh buttons.",
    );
    return;
  }
  // the button was signed for this channel, whose list it shows
  const listKey = ctx.channel.id;
  const user = { id: ctx.user.id, username: ctx.user.name };
  const outcome =
    change === "done"
      ? await todo.done(listKey, user, { id })
      : await todo.remove(listKey, user, { id });
  await ctx.update(interactiveList(await todo.list(listKey)));
  // success shows in the list itself; a click that changed nothing says why (someone else was quicker)
  if (!outcome.ok) await ctx.ephemeral(describeOutcome(outcome));
}
