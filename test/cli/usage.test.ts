// The command line itself, as a user meets it: help, version, refused command lines (exit 2, one
// line and the usage, never a stack trace) and unexpected errors (one line with a reference).
import { existsSync, mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const COMMANDS = ["start", "chat", "doctor", "setup", "send", "init"];
const cwd = () => mkdtempSync(join(tmpdir(), "mmbot-usage-"));
const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  }
).version;

describe("mmbot --help and --version", () => {
  it("lists every command, the exit codes and examples", async () => {
    for (const args of [["--help"], [], ["help"]]) {
      const result = await runCli(args, { cwd: cwd() });
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      for (const command of COMMANDS)
        expect(result.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
      expect(result.stdout).toContain("Exit codes: 0 done, 1 failed");
      expect(result.stdout).toContain("Examples:");
    }
  });

  it("prints the package's version", async () => {
    const result = await runCli(["--version"], { cwd: cwd() });
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it("gives each command its usage, options and an example", async () => {
    const options: Record<string, string[]> = {
      start: ["--config <path>"],
      chat: [
        "--user <name>",
        "--channel <name>",
        "--url <url>",
        "--token <token>",
        "--password <password>",
      ],
      doctor: ["--config <path>", "--token <token>", "--json"],
      setup: ["--config <path>", "--token <token>"],
      send: [
        "--webhook <url>",
        "--channel <name>",
        "--team <name>",
        "--root <post id>",
        "--json <file>",
      ],
      init: [
        "--url <url>",
        "--token <token>",
        "--token-env",
        "--allowed-users <list>",
        "--public-url <url>",
        "--yes",
        "--force",
      ],
    };
    for (const command of COMMANDS) {
      for (const args of [
        [command, "--help"],
        ["help", command],
      ]) {
        const result = await runCli(args, { cwd: cwd() });
        expect(result.code, args.join(" ")).toBe(0);
        expect(result.stdout).toMatch(new RegExp(`^Usage: mmbot ${command} \\[options\\]`));
        for (const option of options[command]!)
          expect(result.stdout, `${command}: ${option}`).toContain(option);
        expect(result.stdout).toMatch(new RegExp(`Examples:\\n  \\$ .*mmbot ${command}`));
      }
    }
  });
});

describe("a command line mmbot cannot run", () => {
  const refused = async (args: string[]) => {
    const result = await runCli(args, { cwd: cwd() });
    expect(result.code, args.join(" ")).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).not.toMatch(/^\s+at /m); // no stack trace
    return result.stderr.split("\n");
  };

  it("an unknown command: one line naming it, with a suggestion, then the usage", async () => {
    const [line, usage, hint] = await refused(["strat"]);
    expect(line).toBe("mmbot: unknown command 'strat' (Did you mean start?)");
    expect(usage).toBe("Usage: mmbot [options] [command]");
    expect(hint).toBe('Run "mmbot --help" for the commands.');
  });

  it("an unknown flag, for every command", async () => {
    for (const command of COMMANDS) {
      const [line, usage] = await refused([command, "--no-such-flag"]);
      expect(line).toBe(`mmbot ${command}: unknown option '--no-such-flag'`);
      expect(usage).toMatch(new RegExp(`^Usage: mmbot ${command} \\[options\\]`));
    }
  });

  it("an option without its value, and a stray argument", async () => {
    expect((await refused(["start", "--config"]))[0]).toBe(
      "mmbot start: option '-c, --config <path>' argument missing",
    );
    expect((await refused(["send", "--channel"]))[0]).toBe(
      "mmbot send: option '--channel <name>' argument missing",
    );
    expect((await refused(["doctor", "now"]))[0]).toBe(
      "mmbot doctor: too many arguments for 'doctor'. Expected 0 arguments but got 1.",
    );
  });
});

describe("an unexpected error", () => {
  // an error mmbot has no message of its own for: the payload "file" is a directory
  const failing = (dir: string) => [
    "send",
    "--webhook",
    "http://127.0.0.1:9/hooks/x",
    "--json",
    join(dir, "a-directory"),
  ];

  it("is one line with a reference; the detail, with the stack, is a JSON log line on stderr", async () => {
    const dir = cwd();
    mkdirSync(join(dir, "a-directory"));
    const result = await runCli(failing(dir), { cwd: dir });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    const logged = lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { ref: string; err: { stack: string; code: string } });
    const said = lines.filter((l) => !l.startsWith("{"));
    expect(said).toHaveLength(1);
    const ref =
      /^mmbot: unexpected error: EISDIR: illegal operation on a directory, read \(ref ([0-9a-f]{8}); the detail is logged on stderr with "ref":"\1"\)$/.exec(
        said[0]!,
      )?.[1];
    expect(ref).toBeDefined();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.ref).toBe(ref);
    expect(logged[0]!.err.code).toBe("EISDIR");
    expect(logged[0]!.err.stack).toMatch(/\n\s+at /);
  });

  it("with readable logs (a terminal), the detail goes to a file the line names", async () => {
    const dir = cwd();
    mkdirSync(join(dir, "a-directory"));
    const result = await runCli(failing(dir), {
      cwd: dir,
      env: { MMBOT_LOG_FORMAT: "pretty", TMPDIR: dir },
    });
    expect(result.code).toBe(1);
    const [line, ...rest] = result.stderr.trim().split("\n");
    expect(rest).toEqual([]);
    const file = /\(ref ([0-9a-f]{8}); the detail is in (\S+mmbot-error-\1\.log)\)$/.exec(
      line!,
    )?.[2];
    expect(file).toBeDefined();
    expect(file!.startsWith(dir)).toBe(true); // the system's temporary directory
    expect(existsSync(file!)).toBe(true);
    expect(readFileSync(file!, "utf8")).toMatch(/"stack":"Error: EISDIR[^"]*\\n\s+at /);
  });

  it("a missing payload file is not unexpected: it is named", async () => {
    const result = await runCli(
      ["send", "--webhook", "http://127.0.0.1:9/hooks/x", "--json", "nope.json"],
      { cwd: cwd() },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe("mmbot: --json nope.json: no such file\n");
  });
});
