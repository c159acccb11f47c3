import type { Store } from "../../store/index.js";
import {
  HELP_TEXT,
  escapeItemText,
  itemLabel,
  normaliseItemText,
  renderList,
  type NumberedItem,
} from "./format.js";
import { parseTodoCommand, type TodoCommand } from "./parse.js";
import { TodoRepo, type TodoItem } from "./repo.js";

export type { TodoItem } from "./repo.js";
export type { NumberedItem } from "./format.js";

export interface TodoUser {
  id: string;
  username: string;
}

/** An item by its number in the list as last shown, or by its stable id. */
export type ItemRef = number | { id: string };

export type AddOutcome =
  | { ok: true; item: TodoItem; number: number | undefined }
  | { ok: false; reason: "empty" | "too_long"; length: number };

export type ItemOutcome =
  | {
      ok: true;
      change: "done" | "reopened" | "restored" | "deleted";
      item: TodoItem;
      number: number | undefined;
    }
  | { ok: false; reason: "no_such_item"; ref: ItemRef }
  | {
      ok: false;
      reason: "already_done" | "not_done" | "deleted" | "already_deleted";
      item: TodoItem;
      number: number | undefined;
    };

/** Longer items are refused: a list is for short lines. */
export const MAX_ITEM_LENGTH = 1_000;

/**
 * A todo list per list key (the channel id; a DM channel is a personal list). `run` takes a
 * command as text and answers in Mattermost markdown; the typed operations serve buttons and
 * slash commands.
 * @example
 * const todo = new TodoService(store);
 * await todo.run({ listKey: channelId, user: { id, username }, text: "add buy milk" }); // { text: "Added #1: buy milk" }
 */
export class TodoService {
  private readonly repo: TodoRepo;
  private readonly now: () => Date;

  constructor(store: Store, options: { now?: () => Date } = {}) {
    this.repo = new TodoRepo(store);
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Runs one command (the message without the bot mention or the word `todo`) and returns the
   * reply. `onceKey` (`ctx.onceKey("todo")`) makes an `add` happen once however often the
   * command runs with it: see `add`.
   */
  async run(input: {
    listKey: string;
    user: TodoUser;
    text: string;
    onceKey?: string;
  }): Promise<{ text: string }> {
    return {
      text: await this.answer(
        input.listKey,
        input.user,
        parseTodoCommand(input.text),
        input.onceKey,
      ),
    };
  }

  /**
   * Adds an item at the end of the list as last shown; its number is its place there. An add
   * with the `onceKey` of an earlier add adds nothing and answers with the item that one added
   * (its number undefined if the list as last shown no longer has it).
   */
  async add(
    listKey: string,
    user: TodoUser,
    text: string,
    details: { due?: Date; assignee?: TodoUser; onceKey?: string } = {},
  ): Promise<AddOutcome> {
    const clean = normaliseItemText(text);
    if (clean === "") return { ok: false, reason: "empty", length: 0 };
    if (clean.length > MAX_ITEM_LENGTH)
      return { ok: false, reason: "too_long", length: clean.length };
    const { item, number } = await this.repo.add(
      {
        listKey,
        text: clean,
        createdBy: user.id,
        createdByName: user.username,
        createdAt: this.now(),
        due: details.due,
        assignee: details.assignee?.id ?? "",
        assigneeName: details.assignee?.username ?? "",
      },
      details.onceKey,
    );
    return { ok: true, item, number };
  }

  /** The list as it is shown (open items, then done ones), numbered; this becomes the order numbers refer to. */
  async list(listKey: string): Promise<NumberedItem[]> {
    const items = await this.repo.items(listKey);
    await this.repo.saveView(
      listKey,
      items.map((i) => i.id),
      this.now(),
    );
    return items.map((item, i) => ({ number: i + 1, item }));
  }

  async done(listKey: string, user: TodoUser, ref: ItemRef): Promise<ItemOutcome> {
    const found = await this.resolve(listKey, ref);
    if (!found.ok) return found;
    const { item, number } = found;
    const at = this.now();
    if (item.deletedAt) return { ok: false, reason: "deleted", item, number };
    if (item.done || !(await this.repo.setDone(item.id, true, user.id, at)))
      return { ok: false, reason: "already_done", item, number };
    return {
      ok: true,
      change: "done",
      item: { ...item, done: true, doneBy: user.id, doneAt: at },
      number,
    };
  }

  /** Reopens a done item, or restores a deleted one. */
  async undo(listKey: string, _user: TodoUser, ref: ItemRef): Promise<ItemOutcome> {
    const found = await this.resolve(listKey, ref);
    if (!found.ok) return found;
    const { item, number } = found;
    if (item.deletedAt) {
      await this.repo.setDeleted(item.id, null);
      return { ok: true, change: "restored", item: { ...item, deletedAt: undefined }, number };
    }
    if (!item.done || !(await this.repo.setDone(item.id, false, "", this.now())))
      return { ok: false, reason: "not_done", item, number };
    return {
      ok: true,
      change: "reopened",
      item: { ...item, done: false, doneBy: "", doneAt: undefined },
      number,
    };
  }

  async remove(listKey: string, _user: TodoUser, ref: ItemRef): Promise<ItemOutcome> {
    const found = await this.resolve(listKey, ref);
    if (!found.ok) return found;
    const { item, number } = found;
    const at = this.now();
    if (item.deletedAt || !(await this.repo.setDeleted(item.id, at)))
      return { ok: false, reason: "already_deleted", item, number };
    return { ok: true, change: "deleted", item: { ...item, deletedAt: at }, number };
  }

  /** Deletes every done item; numbers of the others stay as last shown. */
  async clearDone(listKey: string, _user: TodoUser): Promise<{ removed: number }> {
    return { removed: await this.repo.clearDone(listKey, this.now()) };
  }

  private async resolve(
    listKey: string,
    ref: ItemRef,
  ): Promise<
    | { ok: true; item: TodoItem; number: number | undefined }
    | { ok: false; reason: "no_such_item"; ref: ItemRef }
  > {
    // never shown yet: numbers mean what `list` would show
    const view =
      (await this.repo.view(listKey)) ?? (await this.list(listKey)).map((n) => n.item.id);
    const id = typeof ref === "number" ? view[ref - 1] : ref.id;
    const item = id === undefined ? undefined : await this.repo.get(listKey, id);
    if (!item) return { ok: false, reason: "no_such_item", ref };
    const index = view.indexOf(item.id);
    return { ok: true, item, number: index === -1 ? undefined : index + 1 };
  }

  private async answer(
    listKey: string,
    user: TodoUser,
    command: TodoCommand,
    onceKey: string | undefined,
  ): Promise<string> {
    switch (command.kind) {
      case "help":
        return HELP_TEXT;
      case "list":
        return renderList(await this.list(listKey));
      case "add": {
        const added = await this.add(listKey, user, command.text, { onceKey });
        return describeAdd(added);
      }
      case "clear_done": {
        const { removed } = await this.clearDone(listKey, user);
        return removed === 0
          ? "There are no done items to remove."
          : `Removed ${removed} done item${removed === 1 ? "" : "s"}.`;
      }
      case "invalid":
        return invalidAnswer(command);
      case "done":
      case "undo":
      case "delete": {
        const operation = { done: this.done, undo: this.undo, delete: this.remove }[
          command.kind
        ].bind(this);
        const lines: string[] = [];
        let missing = false;
        for (const number of command.numbers) {
          const outcome = await operation(listKey, user, number);
          if (!outcome.ok && outcome.reason === "no_such_item") missing = true;
          lines.push(describeOutcome(outcome));
        }
        if (missing) lines.push("", renderList(await this.list(listKey)));
        return lines.join("\n");
      }
    }
  }
}

/** The answer to an `add`: the new item's number, or what was wrong. */
export function describeAdd(added: AddOutcome): string {
  if (added.ok) return `Added ${itemLabel(added.number, added.item)}`;
  if (added.reason === "too_long")
    return `That item is ${added.length} characters long; please keep it under ${MAX_ITEM_LENGTH}.`;
  return "What should I add? Write the item after `add`, e.g. `add buy milk`.";
}

/** The answer to a done, undo or delete of one item. */
export function describeOutcome(outcome: ItemOutcome): string {
  if (outcome.ok) {
    const label = itemLabel(outcome.number, outcome.item);
    switch (outcome.change) {
      case "done":
        return `Done ${label} ✓`;
      case "reopened":
        return `Reopened ${label}`;
      case "restored":
        return `Restored ${label}${outcome.item.done ? " (done)" : ""}`;
      case "deleted":
        return `Deleted ${label}`;
    }
  }
  if (outcome.reason === "no_such_item") {
    return typeof outcome.ref === "number"
      ? `There is no item #${outcome.ref}.`
      : "There is no such item (it may be on another list).";
  }
  const name = outcome.number === undefined ? "That item" : `#${outcome.number}`;
  const text = escapeItemText(outcome.item.text);
  switch (outcome.reason) {
    case "already_done":
      return `${name} is already done: ${text}`;
    case "not_done":
      return `${name} is not done, nothing to undo: ${text}`;
    case "deleted":
      return `${name} was deleted: ${text}${outcome.number === undefined ? "" : ` (\`undo ${outcome.number}\` restores it)`}`;
    case "already_deleted":
      return `${name} is already deleted: ${text}`;
  }
}

function invalidAnswer(command: Extract<TodoCommand, { kind: "invalid" }>): string {
  if (command.command === "clear") return "Did you mean `clear done`? It removes every done item.";
  const example = `\`${command.command} 2\``;
  if (command.problem === "missing_number")
    return `\`${command.command}\` needs the number of an item, e.g. ${example}. \`list\` shows the numbers.`;
  return `\`${command.command}\` needs the number of an item, and "${escapeItemText(command.given)}" is not a number. E.g. ${example}; \`list\` shows the numbers.`;
}
