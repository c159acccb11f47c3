import { describe, expect, it } from "vitest";
import { interactiveList } from "../../src/apps/todo/buttons.js";
import type { NumberedItem, TodoItem } from "../../src/apps/todo/service.js";

const at = new Date(Date.UTC(2026, 10, 25, 14, 3));
function numbered(number: number, text: string, done = false): NumberedItem {
  const item: TodoItem = {
    id: `item${String(number).padStart(22, "0")}`,
    listKey: "list",
    text,
    done,
    createdBy: "alice-id",
    createdByName: "alice",
    createdAt: at,
    doneAt: done ? at : undefined,
    doneBy: done ? "alice-id" : "",
    deletedAt: undefined,
    due: undefined,
    assignee: "",
    assigneeName: "",
  };
  return { number, item };
}

describe("the list with buttons", () => {
  it("gives each open item its own Done and Delete, naming the item by id; done items are text", () => {
    const view = interactiveList([
      numbered(1, "buy milk"),
      numbered(2, "pay *rent*"),
      numbered(3, "old", true),
    ]);
    expect(view.message).toBe(
      "**To-do list** · 2 open, 1 done\n\n- **3.** ~~old~~ ✓ · @alice · 2026-11-25 14:03 UTC",
    );
    expect(view.attachments.map((a) => a.text)).toEqual([
      "**1.** buy milk · @alice · 2026-11-25 14:03 UTC",
      "**2.** pay \\*rent\\* · @alice · 2026-11-25 14:03 UTC",
      undefined,
    ]);
    expect(
      view.attachments[1]!.actions!.map((a) => [a.id, a.name, a.integration?.context]),
    ).toEqual([
      ["tododone2", "Done", { item: "item0000000000000000000002" }],
      ["tododelete2", "Delete", { item: "item0000000000000000000002" }],
    ]);
    expect(view.attachments[2]!.actions!.map((a) => a.id)).toEqual(["todoadd"]);
  });

  it("beyond 20 open items, the rest are listed as text without buttons", () => {
    const items = Array.from({ length: 22 }, (_, i) => numbered(i + 1, `task ${i + 1}`));
    const view = interactiveList(items);
    expect(view.attachments).toHaveLength(21);
    expect(view.message.split("\n").slice(2)).toEqual([
      expect.stringMatching(/^- \*\*21\.\*\* task 21 /),
      expect.stringMatching(/^- \*\*22\.\*\* task 22 /),
    ]);
  });

  it("an empty list still has the Add… button", () => {
    const view = interactiveList([]);
    expect(view.message).toMatch(/^The list is empty/);
    expect(view.attachments).toEqual([
      { actions: [expect.objectContaining({ id: "todoadd", name: "Add…" })] },
    ]);
  });
});
