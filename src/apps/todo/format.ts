import type { TodoItem } from "./repo.js";

export interface NumberedItem {
  number: number;
  item: TodoItem;
}

/** `2026-11-25 14:03 UTC`: the same for every reader and every server time zone. */
export function formatTime(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * Item text as it is stored: one line (newlines and runs of spaces become one space), trimmed.
 * User text must not be able to break the list layout.
 */
export function normaliseItemText(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const MARKDOWN_SPECIALS = /[\\`*_~[\]]/g;
const URL_PATTERN = /(https?:\/\/\S+)/;

/**
 * User text made safe inside our markdown: shown as typed (markdown characters escaped, so an
 * unclosed `**` or `~~` cannot swallow the rest of the line), links left whole, and channel-wide
 * mentions defused so showing a list never notifies a whole channel.
 */
export function escapeItemText(text: string): string {
  return normaliseItemText(text)
    .split(URL_PATTERN)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(MARKDOWN_SPECIALS, "\\$&")))
    .join("")
    .replace(/@(channel|all|here)\b/gi, "@\u200b$1");
}

const EMPTY_LIST_TEXT = "The list is empty. Add an item with `add <text>`, e.g. `add buy milk`.";

/** The list as a markdown bullet list: open items, then done ones struck through. */
export function renderList(items: NumberedItem[]): string {
  if (items.length === 0) return EMPTY_LIST_TEXT;
  return [renderHeader(items), "", ...items.map(renderLine)].join("\n");
}

/** `**To-do list** · 2 open, 1 done` */
export function renderHeader(items: NumberedItem[]): string {
  const open = items.filter((i) => !i.item.done).length;
  const done = items.length - open;
  return `**To-do list** · ${open} open${done ? `, ${done} done` : ""}`;
}

/** One item as a list line: number, text, who it is for and when it is due, who added it and when. */
export function renderLine({ number, item }: NumberedItem): string {
  const text = escapeItemText(item.text);
  const details = [
    ...(item.assigneeName ? [`for @${item.assigneeName}`] : []),
    ...(item.due ? [`due ${formatDate(item.due)}`] : []),
    `@${item.createdByName} · ${formatTime(item.createdAt)}`,
  ].join(" · ");
  return item.done
    ? `- **${number}.** ~~${text}~~ ✓ · ${details}`
    : `- **${number}.** ${text} · ${details}`;
}

/** `2026-12-01`: a due date is a day, stored as its UTC midnight. */
export function formatDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** `#3: buy milk`, the way replies name an item. */
export function itemLabel(number: number | undefined, item: TodoItem): string {
  return `${number === undefined ? "" : `#${number}: `}${escapeItemText(item.text)}`;
}

export const HELP_TEXT = [
  "**To-do list commands** (each channel has its own list; a direct message is your personal list)",
  "",
  "- `add <text>` adds an item, e.g. `add buy milk` (a message with no command word is added as is)",
  "- `list` (or `ls`) shows the list with item numbers",
  "- `done <n>` marks item n done, e.g. `done 2` or several: `done 1 3`",
  "- `undo <n>` reopens a done item (or restores a deleted one), e.g. `undo 2`",
  "- `delete <n>` (or `rm`, `del`) removes an item, e.g. `delete 2`",
  "- `clear done` removes every done item",
  "- `help` shows this",
  "",
  "Numbers refer to the list as last shown.",
].join("\n");
