/** What a todo message asks for, before anything is looked up. */
export type TodoCommand =
  | {
      kind: "add";
      text: string /** true when the message had no command word */;
      implicit: boolean;
    }
  | { kind: "list" }
  | { kind: "done" | "undo" | "delete"; numbers: number[] }
  | { kind: "clear_done" }
  | { kind: "help" }
  | {
      kind: "invalid";
      command: "done" | "undo" | "delete" | "clear";
      problem: "missing_number" | "not_a_number" | "unknown";
      given: string;
    };

const ITEM_COMMANDS: Record<string, "done" | "undo" | "delete"> = {
  done: "done",
  undo: "undo",
  delete: "delete",
  del: "delete",
  rm: "delete",
};

/** A range like `2-5` expands to at most this many numbers, so `1-99999999` stays cheap. */
const MAX_NUMBERS = 100;

/**
 * Parses one todo command: the message text without the bot mention or the word `todo`.
 * The command word is case-insensitive; a message with no known command word is an `add`
 * of the whole text.
 * @example
 * parseTodoCommand("done 1 3")  // { kind: "done", numbers: [1, 3] }
 * parseTodoCommand("buy milk")  // { kind: "add", text: "buy milk", implicit: true }
 */
export function parseTodoCommand(text: string): TodoCommand {
  const trimmed = text.trim();
  const match = /^(\S+)\s*([\s\S]*)$/.exec(trimmed);
  if (!match) return { kind: "help" };
  const word = (match[1] ?? "").toLowerCase();
  const rest = (match[2] ?? "").trim();
  switch (word) {
    case "add":
      return { kind: "add", text: rest, implicit: false };
    case "list":
    case "ls":
      return { kind: "list" };
    case "help":
    case "?":
      return { kind: "help" };
    case "clear":
      if (/^done\b/i.test(rest)) return { kind: "clear_done" };
      return { kind: "invalid", command: "clear", problem: "unknown", given: rest };
  }
  const itemCommand = ITEM_COMMANDS[word];
  if (itemCommand) {
    if (rest === "")
      return { kind: "invalid", command: itemCommand, problem: "missing_number", given: "" };
    const numbers = parseNumbers(rest);
    if (!numbers)
      return { kind: "invalid", command: itemCommand, problem: "not_a_number", given: rest };
    return { kind: itemCommand, numbers };
  }
  return { kind: "add", text: trimmed, implicit: true };
}

/** `1 3`, `1,3`, `#2`, `2-4` → the numbers in order without repeats; undefined if any part is not a number. */
function parseNumbers(text: string): number[] | undefined {
  const numbers: number[] = [];
  for (const part of text.split(/[\s,;]+|\band\b/i).filter(Boolean)) {
    const range = /^#?(\d{1,9})(?:\s*[-–]\s*#?(\d{1,9}))?$/.exec(part);
    if (!range) return undefined;
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    for (let n = from; n <= to && numbers.length < MAX_NUMBERS; n++)
      if (!numbers.includes(n)) numbers.push(n);
  }
  return numbers.length ? numbers : undefined;
}

/**
 * A due date as typed in the dialog: `YYYY-MM-DD`, a real calendar day, as its UTC midnight.
 * @example parseDueDate("2026-12-01") // Date 2026-12-01T00:00:00Z; parseDueDate("2026-02-30") // undefined
 */
export function parseDueDate(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day
    ? date
    : undefined;
}
