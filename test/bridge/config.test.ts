import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bridgeFromConfig as bridge } from "../../src/service/bridge-config.js";
import { loadConfig } from "../../src/service/config.js";
import { ConfigError } from "../../src/errors.js";

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "mmbot-bridge-config-")), "mmbot.toml");
  writeFileSync(path, content);
  return path;
}

const load = (toml: string) => loadConfig({ path: file(toml), env: {} });

describe("[[bridge]] configuration", () => {
  it("is an empty list by default", () => {
    expect(loadConfig({ path: "/nonexistent/mmbot.toml", env: {} }).bridge).toEqual([]);
  });

  it("reads a list of bridges and fills the defaults", () => {
    const config = load(`
[[bridge]]
command = "todo"
program = "node"
args = ["/opt/todo.mjs"]
allow = ["add", "list", "/[\\\\w .-]{1,100}/"]
env = { TODO_FILE = "/tmp/todo.json" }

[[bridge]]
name = "deploy"
command = "ship"
program = "/usr/local/bin/deploy"
timeout_seconds = 600
allowed_users = ["alice"]
channels = ["ops"]
max_concurrent = 2
`);
    expect(config.bridge).toHaveLength(2);
    expect(config.bridge[0]).toEqual({
      command: "todo",
      program: "node",
      args: ["/opt/todo.mjs"],
      allow: ["add", "list", "/[\\w .-]{1,100}/"],
      timeout_seconds: 30,
      env: { TODO_FILE: "/tmp/todo.json" },
      allowed_users: "*",
      channels: [],
      max_concurrent: 1,
      inline_max_bytes: 32_768,
      max_output_bytes: 1_048_576,
    });
    expect(config.bridge[1]).toMatchObject({
      name: "deploy",
      command: "ship",
      timeout_seconds: 600,
      allowed_users: ["alice"],
      max_concurrent: 2,
    });
  });

  it("names the key, the value, what was expected and an example", () => {
    expect(() => load(`[[bridge]]\ncommand = "x"\nprogram = "x"\ntimeout_seconds = -1\n`)).toThrow(
      ConfigError,
    );
    expect(() => load(`[[bridge]]\ncommand = "x"\nprogram = "x"\ntimeout_seconds = -1\n`)).toThrow(
      /bridge\[0\]\.timeout_seconds = -1: expected a number of seconds above 0\n {2}example: timeout_seconds = 30/,
    );
    expect(() => load(`[[bridge]]\ncommand = "x"\nprogram = "bin/deploy"\n`)).toThrow(
      /bridge\[0\]\.program = "bin\/deploy": expected an absolute path or a program name looked up on PATH/,
    );
    expect(() => load(`[[bridge]]\nprogram = "x"\n`)).toThrow(
      /bridge\[0\]\.command is missing: .*\n {2}example: command = "todo"/,
    );
    expect(() => load(`[[bridge]]\ncommand = "two words"\nprogram = "x"\n`)).toThrow(
      /bridge\[0\]\.command = "two words": expected one word/,
    );
    expect(() => load(`[[bridge]]\ncommand = "x"\nprogram = "x"\nallow = ["/[a-z/"]\n`)).toThrow(
      /bridge\[0\]\.allow\[0\] = "\/\[a-z\/": the regex does not compile/,
    );
    expect(() => load(`[[bridge]]\ncommand = "x"\nprogram = "x"\nallow = ["two words"]\n`)).toThrow(
      /bridge\[0\]\.allow\[0\] = "two words": expected a sub-command word/,
    );
    expect(() => load(`[[bridge]]\ncommand = "x"\nprogram = "x"\ncwd = "relative"\n`)).toThrow(
      /bridge\[0\]\.cwd = "relative": expected an absolute directory path/,
    );
  });

  it("wants an array of tables", () => {
    expect(() => load(`bridge = 5\n`)).toThrow(/mmbot\.toml:1: bridge = 5: expected a list$/m);
    expect(() => load(`bridge = 5\n`)).not.toThrow(/env/);
  });

  it("names an unknown key and a command word used twice", () => {
    expect(() => load(`[[bridge]]\ncommand = "x"\nprogram = "x"\ntimeout = 5\n`)).toThrow(
      /unknown key bridge\[0\]\.timeout in bridge\[0\]/,
    );
    expect(() =>
      load(`[[bridge]]\ncommand = "x"\nprogram = "a"\n[[bridge]]\ncommand = "X"\nprogram = "b"\n`),
    ).toThrow(
      /bridge\[1\]\.command = "X": expected a command word not used by another bridge \(bridge\[0\] has it too\)/,
    );
  });

  it("takes a slash command and a trigger word besides or instead of the command word, and wants at least one", () => {
    const http = `[http]\nslash_tokens = ["t1"]\noutgoing_webhook_tokens = ["t2"]\n`;
    const config = load(
      `${http}[[bridge]]\nslash = "/deploy"\ntrigger_word = "!deploy"\nprogram = "sh"\n`,
    );
    expect(config.bridge[0]).toMatchObject({ slash: "/deploy", trigger_word: "!deploy" });
    expect(config.bridge[0]?.command).toBeUndefined();
    expect(() => load(`${http}[[bridge]]\nprogram = "sh"\n`)).toThrow(
      /bridge\[0\]\.command is missing: expected at least one trigger: command = "deploy" \(@bot deploy …\), slash = "\/deploy" or trigger_word = "deploy"/,
    );
    expect(() => load(`${http}[[bridge]]\nslash = "deploy"\nprogram = "sh"\n`)).toThrow(
      /bridge\[0\]\.slash = "deploy": expected "\/" then one word.*\n {2}example: slash = "\/todo"/,
    );
    expect(() => load(`${http}[[bridge]]\ntrigger_word = "two words"\nprogram = "sh"\n`)).toThrow(
      /bridge\[0\]\.trigger_word = "two words": expected one word without spaces/,
    );
    expect(() =>
      load(
        `${http}[[bridge]]\nslash = "/a"\nprogram = "sh"\n[[bridge]]\nslash = "/A"\nprogram = "sh"\n`,
      ),
    ).toThrow(
      /bridge\[1\]\.slash = "\/A": expected a slash command not used by another bridge \(bridge\[0\] has it too\)/,
    );
    expect(() =>
      load(
        `${http}[[bridge]]\ntrigger_word = "go"\nprogram = "sh"\n[[bridge]]\ntrigger_word = "go"\nprogram = "sh"\n`,
      ),
    ).toThrow(
      /bridge\[1\]\.trigger_word = "go": expected a trigger word not used by another bridge/,
    );
    expect(() => bridge([{ program: "sh" }])).toThrow(
      /bridge\[0\]\.command: expected at least one trigger/,
    );
  });

  it("wants the [http] section for a slash command or a trigger word", () => {
    expect(() => load(`[[bridge]]\nslash = "/deploy"\nprogram = "sh"\n`)).toThrow(
      /bridge\[0\]\.slash = "\/deploy": slash commands reach the bot over HTTP, but there is no \[http\] section; .*\(env MMBOT_HTTP_SLASH_TOKENS\)\n {2}example: \[http\] listen = "0\.0\.0\.0:3000", slash_tokens = \["<token>"\]/,
    );
    expect(() =>
      load(`[[bridge]]\ncommand = "x"\ntrigger_word = "deploy"\nprogram = "sh"\n`),
    ).toThrow(
      /bridge\[0\]\.trigger_word = "deploy": outgoing webhooks reach the bot over HTTP, but there is no \[http\] section; [\s\S]*outgoing_webhook_tokens = \["<token>"\]/,
    );
    const fromEnv = loadConfig({
      path: file(`[[bridge]]\nslash = "/deploy"\nprogram = "sh"\n`),
      env: { MMBOT_HTTP_SLASH_TOKENS: "t" },
    });
    expect(fromEnv.http?.slash_tokens).toEqual(["t"]);
  });

  it("accepts the example file, programs included", () => {
    const config = loadConfig({
      path: join(import.meta.dirname, "../../examples/mmbot.bridge.toml"),
      env: {},
    });
    expect(config.bridge.map((b) => b.command)).toEqual(["tasks", "disk"]);
    expect(() => bridge(config.bridge)).not.toThrow();
  });

  it("fails at start when a program or working directory does not exist", () => {
    expect(() => bridge([{ command: "x", program: "no-such-program-mmbot" }])).toThrow(
      /bridge\[0\]\.program = "no-such-program-mmbot": not found on PATH \(.*\); expected an executable program\n {2}example: program = /,
    );
    expect(() => bridge([{ command: "x", program: "/nonexistent/deploy" }])).toThrow(
      /bridge\[0\]\.program = "\/nonexistent\/deploy": no executable file there/,
    );
    expect(() => bridge([{ command: "x", program: "sh", cwd: "/nonexistent/dir" }])).toThrow(
      /bridge\[0\]\.cwd = "\/nonexistent\/dir": no such directory/,
    );
    expect(() => bridge([{ command: "x", program: "sh", env: { PATH: "/nonexistent" } }])).toThrow(
      /not found on PATH \(\/nonexistent\)/,
    );
    expect(() => bridge([{ command: "x", program: "sh", timeout_seconds: 0 }])).toThrow(
      /bridge\[0\]\.timeout_seconds: expected a number of seconds above 0/,
    );
    expect(() => bridge([{ command: "x", program: "sh", cwd: tmpdir() }])).not.toThrow();
  });
});
