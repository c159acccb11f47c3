import { describe, expect, it } from "vitest";
import { checkArguments, compileAllow } from "../../src/apps/bridge/allow.js";
import { splitArguments } from "../../src/apps/bridge/args.js";

const split = (text: string) => {
  const result = splitArguments(text);
  if (!result.ok) throw new Error(result.reason);
  return result.args;
};

describe("splitting a user's text into arguments", () => {
  it("splits on any white space and groups quoted words", () => {
    expect(split("  add   buy\tmilk\n")).toEqual(["add", "buy", "milk"]);
    expect(split(`add "buy milk" 'and eggs'`)).toEqual(["add", "buy milk", "and eggs"]);
    expect(split(`a"b c"d`)).toEqual(["ab cd"]);
    expect(split(`"" x`)).toEqual(["", "x"]);
    expect(split(`say “curly quotes”`)).toEqual(["say", "curly quotes"]);
    expect(split("")).toEqual([]);
  });

  it("gives shell syntax no meaning: every character stays in an argument", () => {
    expect(split("; rm -rf /")).toEqual([";", "rm", "-rf", "/"]);
    expect(split("$(touch /tmp/x) `id` $HOME *.txt a|b c>d e&&f")).toEqual([
      "$(touch",
      "/tmp/x)",
      "`id`",
      "$HOME",
      "*.txt",
      "a|b",
      "c>d",
      "e&&f",
    ]);
    expect(split(String.raw`C:\dir\file a\ b`)).toEqual(["C:\\dir\\file", "a\\", "b"]); // no escapes either
    expect(split(`"it's"`)).toEqual(["it's"]);
  });

  it("reports a quote left open", () => {
    expect(splitArguments(`add "buy milk`)).toEqual({
      ok: false,
      reason: 'a quote is not closed: add the closing "',
    });
  });
});

describe("the allow list", () => {
  it("accepts no arguments when empty", () => {
    const rule = compileAllow([]);
    expect(checkArguments(rule, [])).toBeUndefined();
    expect(checkArguments(rule, ["x"])).toMatchObject({
      position: 1,
      argument: "x",
      reason: "this command takes no arguments",
    });
  });

  it("wants a listed sub-command first, then arguments matching a pattern as a whole", () => {
    const rule = compileAllow(["add", "list", "/[a-z]+/", "/\\d{1,3}/"]);
    expect(checkArguments(rule, ["add", "milk", "12"])).toBeUndefined();
    expect(checkArguments(rule, ["list"])).toBeUndefined();
    expect(checkArguments(rule, ["remove", "x"])).toMatchObject({
      position: 1,
      argument: "remove",
      reason: "the first argument must be one of: add, list",
    });
    expect(checkArguments(rule, ["add", "milk;"])).toMatchObject({
      position: 2,
      argument: "milk;",
      reason: "it must match one of /[a-z]+/, /\\d{1,3}/",
    });
    expect(checkArguments(rule, ["add", "1234"])).toMatchObject({ position: 2 }); // anchored: not a prefix match
    expect(checkArguments(rule, ["add", "milk", "MILK"])).toMatchObject({ position: 3 });
    expect(checkArguments(compileAllow(["/[a-z]+/i"]), ["MILK"])).toBeUndefined();
  });

  it("with sub-commands only, takes nothing after the sub-command", () => {
    const rule = compileAllow(["status"]);
    expect(checkArguments(rule, ["status"])).toBeUndefined();
    expect(checkArguments(rule, ["status", "--all"])).toMatchObject({
      position: 2,
      reason: "status takes no further arguments",
    });
  });

  it("cannot be tricked by alternation out of the anchors", () => {
    const rule = compileAllow(["/a|b/"]);
    expect(checkArguments(rule, ["a"])).toBeUndefined();
    expect(checkArguments(rule, ["a; rm"])).toMatchObject({ position: 1 });
  });
});
