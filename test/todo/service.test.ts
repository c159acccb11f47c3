import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { todo as todoApp } from "../../src/apps/todo/index.js";
import type { TodoTables } from "../../src/apps/todo/schema.js";
import { TodoService, type TodoUser } from "../../src/apps/todo/service.js";
import { openStore, type Store } from "../../src/store/index.js";
import { describeEachDatabase } from "../helpers/databases.js";

const alice: TodoUser = { id: "alice-id", username: "alice" };
const bob: TodoUser = { id: "bob-id", username: "bob" };

describeEachDatabase("todo commands", (db) => {
  let store: Store;
  let clock: Date;
  let todo: TodoService;
  beforeAll(async () => {
    store = await openStore(db.url());
    await store.migrateApp(todoApp());
    todo = new TodoService(store, { now: () => clock });
  });
  beforeEach(() => {
    clock = new Date(Date.UTC(2026, 10, 25, 14, 3));
  });
  afterAll(() => store.close());

  /** A fresh list per test; `say` runs a command on it as a user. */
  function newList(): { listKey: string; say(text: string, user?: TodoUser): Promise<string> } {
    const listKey = `channel-${randomBytes(6).toString("hex")}`;
    return {
      listKey,
      say: async (text, user = alice) => (await todo.run({ listKey, user, text })).text,
    };
  }

  it("adds items numbered in order, with or without the word add", async () => {
    const list = newList();
    expect(await list.say("add buy milk")).toBe("Added #1: buy milk");
    expect(await list.say("ADD   call the plumber  ", bob)).toBe("Added #2: call the plumber");
    expect(await list.say("water the plants")).toBe("Added #3: water the plants");
  });

  it("an add run again with its once key (its post handled again) adds nothing and answers as the first did", async () => {
    const list = newList();
    // keys are unique in the whole store: each test's its own
    const add = (text: string, post: string) =>
      todo
        .run({
          listKey: list.listKey,
          user: alice,
          text,
          onceKey: `post:${list.listKey}-${post}#todo`,
        })
        .then((a) => a.text);
    expect(await add("add buy milk", "p1")).toBe("Added #1: buy milk");
    expect(await add("add buy milk", "p2")).toBe("Added #2: buy milk"); // another post: another item
    expect(await add("add buy milk", "p1")).toBe("Added #1: buy milk");
    expect(await list.say("add buy milk")).toBe("Added #3: buy milk"); // no key: an item each time
    expect((await todo.list(list.listKey)).map((n) => n.item.text)).toEqual([
      "buy milk",
      "buy milk",
      "buy milk",
    ]);
    await list.say("delete 1");
    await list.say("list");
    // its item no longer in the list as shown: named without a number
    expect(await add("add buy milk", "p1")).toBe("Added buy milk");
  });

  it("lists open items with who added them and when; an empty list says how to add", async () => {
    const list = newList();
    const empty = await list.say("list");
    expect(empty).toMatch(/empty/i);
    expect(empty).toContain("add buy milk");
    await list.say("add buy milk");
    clock = new Date(Date.UTC(2026, 10, 25, 15, 30));
    await list.say("add call the plumber", bob);
    const shown = await list.say("ls");
    expect(shown).toContain("- **1.** buy milk · @alice · 2026-11-25 14:03 UTC");
    expect(shown).toContain("- **2.** call the plumber · @bob · 2026-11-25 15:30 UTC");
    expect(shown).toMatch(/2 open/);
  });

  it("done, then list: open items first, done items struck through and renumbered", async () => {
    const list = newList();
    await list.say("add buy milk");
    await list.say("add call the plumber", bob);
    await list.say("add pay rent");
    expect(await list.say("done 1")).toBe("Done #1: buy milk ✓");
    const shown = (await list.say("list")).split("\n").filter((l) => l.startsWith("- "));
    expect(shown).toEqual([
      expect.stringMatching(/^- \*\*1\.\*\* call the plumber · @bob/),
      expect.stringMatching(/^- \*\*2\.\*\* pay rent · @alice/),
      expect.stringMatching(/^- \*\*3\.\*\* ~~buy milk~~ ✓ · @alice/),
    ]);
    // numbers now follow the list just shown
    expect(await list.say("undo 3")).toBe("Reopened #3: buy milk");
    expect(await list.say("done 1")).toBe("Done #1: call the plumber ✓");
  });

  it("numbers refer to the list as last shown: an add after a list takes the next number", async () => {
    const list = newList();
    await list.say("add a");
    await list.say("add b");
    await list.say("done 1");
    await list.say("list"); // b, ~~a~~
    expect(await list.say("add c")).toBe("Added #3: c");
    expect(await list.say("done 3")).toBe("Done #3: c ✓");
    expect(await list.say("done 1")).toBe("Done #1: b ✓");
  });

  it("several numbers at once", async () => {
    const list = newList();
    for (const item of ["a", "b", "c", "d"]) await list.say(`add ${item}`);
    expect(await list.say("done 1 3")).toBe("Done #1: a ✓\nDone #3: c ✓");
    expect(await list.say("delete 2, 4")).toBe("Deleted #2: b\nDeleted #4: d");
    expect(await list.say("undo #1-#3")).toBe("Reopened #1: a\nRestored #2: b\nReopened #3: c");
  });

  it("done / undo / delete explain items in the wrong state", async () => {
    const list = newList();
    await list.say("add buy milk");
    expect(await list.say("undo 1")).toBe("#1 is not done, nothing to undo: buy milk");
    await list.say("done 1");
    expect(await list.say("done 1")).toBe("#1 is already done: buy milk");
    expect(await list.say("rm 1")).toBe("Deleted #1: buy milk");
    expect(await list.say("del 1")).toBe("#1 is already deleted: buy milk");
    expect(await list.say("done 1")).toBe("#1 was deleted: buy milk (`undo 1` restores it)");
    expect(await list.say("undo 1")).toBe("Restored #1: buy milk (done)");
    expect(await list.say("list")).toContain("~~buy milk~~");
  });

  it("delete keeps the other numbers until the next list", async () => {
    const list = newList();
    for (const item of ["a", "b", "c"]) await list.say(`add ${item}`);
    expect(await list.say("delete 1")).toBe("Deleted #1: a");
    expect(await list.say("done 2")).toBe("Done #2: b ✓");
    const shown = await list.say("list");
    expect(shown).not.toContain(" a ·");
    expect(shown).toContain("- **1.** c");
    expect(shown).toContain("- **2.** ~~b~~");
  });

  it("clear done removes done items and says how many", async () => {
    const list = newList();
    expect(await list.say("clear done")).toBe("There are no done items to remove.");
    for (const item of ["a", "b", "c"]) await list.say(`add ${item}`);
    await list.say("done 1 2");
    expect(await list.say("Clear Done")).toBe("Removed 2 done items.");
    await list.say("done 3");
    expect(await list.say("clear done")).toBe("Removed 1 done item.");
    expect(await list.say("list")).toMatch(/empty/i);
    expect(await list.say("clear")).toMatch(/clear done/);
  });

  it("done 99 says there is no item 99 and shows the list", async () => {
    const list = newList();
    await list.say("add buy milk");
    const answer = await list.say("done 99");
    expect(answer).toMatch(/^There is no item #99\./);
    expect(answer).toContain("- **1.** buy milk");
    expect(await list.say("done 0")).toMatch(/no item #0/);
    const onEmpty = await newList().say("delete 1");
    expect(onEmpty).toMatch(/no item #1/);
    expect(onEmpty).toMatch(/empty/i);
  });

  it("done without a number, or with something else, asks for a number", async () => {
    const list = newList();
    expect(await list.say("done")).toBe(
      "`done` needs the number of an item, e.g. `done 2`. `list` shows the numbers.",
    );
    expect(await list.say("done x")).toBe(
      '`done` needs the number of an item, and "x" is not a number. E.g. `done 2`; `list` shows the numbers.',
    );
    expect(await list.say("undo first")).toMatch(
      /`undo` needs the number.*"first" is not a number/,
    );
    expect(await list.say("rm 1 two")).toMatch(/`delete` needs the number/);
  });

  it("an empty add says what is missing, with an example", async () => {
    const list = newList();
    expect(await list.say("add")).toBe(
      "What should I add? Write the item after `add`, e.g. `add buy milk`.",
    );
    expect(await list.say("add    ")).toMatch(/add buy milk/);
    expect(await list.say(`add ${"x".repeat(1_001)}`)).toMatch(/1001 characters/);
    expect(await list.say("list")).toMatch(/empty/i);
  });

  it("help (and an empty command) lists every command with examples", async () => {
    const list = newList();
    const help = await list.say("help");
    for (const text of [
      "add buy milk",
      "list",
      "ls",
      "done 2",
      "done 1 3",
      "undo 2",
      "delete 2",
      "rm",
      "del",
      "clear done",
    ])
      expect(help).toContain(text);
    expect(await list.say("   ")).toBe(help);
    expect(await list.say("HELP")).toBe(help);
  });

  it("item text cannot break the list: newlines are flattened, markdown escaped, channel mentions defused", async () => {
    const list = newList();
    expect(await list.say("add first line\n- second line\n\n# heading")).toBe(
      "Added #1: first line - second line # heading",
    );
    await list.say("add **unclosed ~~strike `code");
    await list.say("add tell @channel about https://example.com/a_b_c");
    await list.say("done 2");
    const lines = (await list.say("list")).split("\n");
    expect(lines.filter((l) => l.startsWith("- "))).toHaveLength(3);
    expect(lines).toContain(
      "- **1.** first line - second line # heading · @alice · 2026-11-25 14:03 UTC",
    );
    expect(lines).toContain(
      "- **3.** ~~\\*\\*unclosed \\~\\~strike \\`code~~ ✓ · @alice · 2026-11-25 14:03 UTC",
    );
    expect(lines.join("\n")).toContain("tell @\u200bchannel about https://example.com/a_b_c");
  });

  it("a DM and a channel have separate lists", async () => {
    const channel = newList();
    const dm = newList();
    await channel.say("add team thing");
    expect(await dm.say("list")).toMatch(/empty/i);
    expect(await dm.say("add private thing")).toBe("Added #1: private thing");
    expect(await channel.say("list")).not.toContain("private thing");
    expect(await dm.say("done 1")).toBe("Done #1: private thing ✓");
    expect(await channel.say("list")).toMatch(/1 open/);
  });

  describe("typed operations (for buttons and slash commands)", () => {
    it("act on items by stable id, and never across lists", async () => {
      const list = newList();
      const other = newList();
      const added = await todo.add(list.listKey, alice, "by id");
      if (!added.ok) throw new Error("add failed");
      expect(added.item.id).toMatch(/^[a-z0-9]{26}$/);
      expect(await todo.done(other.listKey, bob, { id: added.item.id })).toEqual({
        ok: false,
        reason: "no_such_item",
        ref: { id: added.item.id },
      });
      const done = await todo.done(list.listKey, bob, { id: added.item.id });
      expect(done).toMatchObject({
        ok: true,
        change: "done",
        number: 1,
        item: { text: "by id", done: true, doneBy: "bob-id" },
      });
      const shown = await todo.list(list.listKey);
      expect(shown).toMatchObject([
        {
          number: 1,
          item: { id: added.item.id, done: true, createdByName: "alice", createdAt: clock },
        },
      ]);
      expect(await todo.undo(list.listKey, bob, { id: added.item.id })).toMatchObject({
        ok: true,
        change: "reopened",
      });
      expect(await todo.remove(list.listKey, bob, 1)).toMatchObject({
        ok: true,
        change: "deleted",
      });
      expect(await todo.clearDone(list.listKey, bob)).toEqual({ removed: 0 });
    });

    it("numbers work before any list was shown (items added by id only)", async () => {
      const list = newList();
      await store.db
        .withTables<TodoTables>()
        .deleteFrom("todo_views")
        .where("list_key", "=", list.listKey)
        .execute();
      await todo.add(list.listKey, alice, "x");
      expect(await list.say("done 1")).toBe("Done #1: x ✓");
    });
  });

  it("keeps an item's due date and assignee (stored, read back, shown in the list)", async () => {
    const list = newList();
    const due = new Date(Date.UTC(2026, 11, 1));
    const added = await todo.add(list.listKey, alice, "book the venue", { due, assignee: bob });
    expect(added).toMatchObject({
      ok: true,
      number: 1,
      item: { due, assignee: "bob-id", assigneeName: "bob" },
    });
    await todo.add(list.listKey, alice, "no details");
    const [first, second] = await todo.list(list.listKey);
    expect(first!.item).toMatchObject({
      text: "book the venue",
      due,
      assignee: "bob-id",
      assigneeName: "bob",
    });
    expect(second!.item).toMatchObject({ due: undefined, assignee: "", assigneeName: "" });
    const shown = await list.say("list");
    expect(shown).toContain(
      "- **1.** book the venue · for @bob · due 2026-12-01 · @alice · 2026-11-25 14:03 UTC",
    );
    expect(shown).toContain("- **2.** no details · @alice · 2026-11-25 14:03 UTC");
  });

  it("concurrent adds to one list all get distinct numbers", async () => {
    const list = newList();
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => list.say(`add item ${i}`)),
    );
    const numbers = answers.map((a) => Number(/#(\d+)/.exec(a)?.[1]));
    expect(new Set(numbers)).toEqual(new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
  });
});
