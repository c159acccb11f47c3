import { describe, expect, it } from "vitest";
import { parseDueDate, parseTodoCommand } from "../../src/apps/todo/parse.js";

describe("parseTodoCommand", () => {
  it("reads command words case-insensitively with extra spaces", () => {
    expect(parseTodoCommand("  ADD   buy  milk ")).toEqual({
      kind: "add",
      text: "buy  milk",
      implicit: false,
    });
    expect(parseTodoCommand("List")).toEqual({ kind: "list" });
    expect(parseTodoCommand("ls")).toEqual({ kind: "list" });
    expect(parseTodoCommand("Done 2")).toEqual({ kind: "done", numbers: [2] });
    expect(parseTodoCommand("rm 1")).toEqual({ kind: "delete", numbers: [1] });
    expect(parseTodoCommand("del 1")).toEqual({ kind: "delete", numbers: [1] });
    expect(parseTodoCommand("delete 1")).toEqual({ kind: "delete", numbers: [1] });
    expect(parseTodoCommand("undo 4")).toEqual({ kind: "undo", numbers: [4] });
    expect(parseTodoCommand("clear   DONE")).toEqual({ kind: "clear_done" });
    expect(parseTodoCommand("help")).toEqual({ kind: "help" });
    expect(parseTodoCommand("")).toEqual({ kind: "help" });
  });

  it("takes several numbers, # prefixes and ranges, without repeats", () => {
    expect(parseTodoCommand("done 1 3")).toEqual({ kind: "done", numbers: [1, 3] });
    expect(parseTodoCommand("done #1, #3,2")).toEqual({ kind: "done", numbers: [1, 3, 2] });
    expect(parseTodoCommand("done 2-4 3")).toEqual({ kind: "done", numbers: [2, 3, 4] });
    expect(parseTodoCommand("done 1 and 2")).toEqual({ kind: "done", numbers: [1, 2] });
    expect(parseTodoCommand("done 1-999999999")).toMatchObject({ kind: "done" });
    expect((parseTodoCommand("done 1-999999999") as { numbers: number[] }).numbers).toHaveLength(
      100,
    );
  });

  it("a message with no command word is an add of the whole text", () => {
    expect(parseTodoCommand("buy milk")).toEqual({ kind: "add", text: "buy milk", implicit: true });
    expect(parseTodoCommand("clear the garage")).toEqual({
      kind: "invalid",
      command: "clear",
      problem: "unknown",
      given: "the garage",
    });
    expect(parseTodoCommand("listen to the podcast")).toEqual({
      kind: "add",
      text: "listen to the podcast",
      implicit: true,
    });
  });

  it("flags a missing or non-numeric item number", () => {
    expect(parseTodoCommand("done")).toEqual({
      kind: "invalid",
      command: "done",
      problem: "missing_number",
      given: "",
    });
    expect(parseTodoCommand("done x")).toEqual({
      kind: "invalid",
      command: "done",
      problem: "not_a_number",
      given: "x",
    });
    expect(parseTodoCommand("rm 1 x")).toEqual({
      kind: "invalid",
      command: "delete",
      problem: "not_a_number",
      given: "1 x",
    });
  });
});

describe("parseDueDate", () => {
  it("reads YYYY-MM-DD as that day's UTC midnight", () => {
    expect(parseDueDate(" 2026-12-01 ")).toEqual(new Date(Date.UTC(2026, 11, 1)));
    expect(parseDueDate("2028-02-29")).toEqual(new Date(Date.UTC(2028, 1, 29)));
  });

  it("refuses other forms and days that do not exist", () => {
    for (const bad of [
      "",
      "tomorrow",
      "2026-2-1",
      "01.12.2026",
      "2026-02-30",
      "2026-13-01",
      "2026-12-01T10:00",
    ])
      expect(parseDueDate(bad)).toBeUndefined();
  });
});
