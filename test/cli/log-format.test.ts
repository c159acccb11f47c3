// What `mmbot start` shows: log lines as JSON or readable lines (log.format), and its own lines
// in one block after the startup log, not interleaved with it. A real child process; stdout and
// stderr share one file, as they share a terminal, so the file shows the order of the writes.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, runCli, until } from "../helpers/cli.js";
import { readWhenWritten } from "../helpers/processes.js";

const BANNER_FIRST = "mmbot: sandbox Mattermost running at";
const BANNER_LAST = "Press Ctrl-C to stop.";

describe("log.format", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    child = undefined;
  });

  /** Runs `mmbot start` (the sandbox) until its banner is out; stops it; the merged output's lines. */
  async function startAndStop(env: Record<string, string>): Promise<string[]> {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-log-"));
    const out = join(cwd, "terminal.txt");
    const fd = openSync(out, "w");
    child = spawn(process.execPath, [CLI, "start"], {
      cwd,
      stdio: ["ignore", fd, fd],
      env: { PATH: process.env.PATH, MMBOT_SANDBOX_PORT: "0", MMBOT_LOG_LEVEL: "info", ...env },
    });
    closeSync(fd);
    const exited = new Promise((resolve) => child!.on("exit", resolve));
    await until(
      () => (readFileSync(out, "utf8").includes(BANNER_LAST) ? true : undefined),
      "the banner",
    );
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    return readFileSync(out, "utf8").split("\n");
  }

  /** The banner is one block, after every startup log line. */
  function expectBannerAfterStartupLog(
    lines: string[],
    isLogLine: (line: string) => boolean,
    ready: (line: string) => boolean,
  ) {
    const first = lines.findIndex((l) => l.startsWith(BANNER_FIRST));
    const last = lines.indexOf(BANNER_LAST);
    expect(first).toBeGreaterThan(0);
    expect(lines.slice(first, last + 1).filter(isLogLine)).toEqual([]);
    expect(
      lines.slice(first, last + 1).some((l) => l.startsWith("mmbot: @todobot connected to")),
    ).toBe(true);
    expect(lines.slice(0, first).some(ready)).toBe(true);
  }

  it("json: JSON lines on stderr, the banner after them", async () => {
    const lines = await startAndStop({ MMBOT_LOG_FORMAT: "json" });
    const json = lines
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: number; msg: string; time: number });
    expect(json.map((l) => l.msg)).toEqual(
      expect.arrayContaining(["sandbox Mattermost listening", "ready", "shutting down"]),
    );
    expectBannerAfterStartupLog(
      lines,
      (l) => l.startsWith("{"),
      (l) => l.includes('"msg":"ready"'),
    );
  });

  it("pretty: one readable line per entry (time, level, message, fields), no JSON, the banner after them", async () => {
    const lines = await startAndStop({ MMBOT_LOG_FORMAT: "pretty" });
    expect(lines.some((l) => l.startsWith("{"))).toBe(false);
    const pretty = /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR): /;
    expect(lines).toContainEqual(
      expect.stringMatching(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: ready \{"startToConnectedMs":\d+\}$/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/INFO: shutting down \{"signal":"SIGTERM"\}$/),
    );
    // not a terminal: no colour codes in the file
    expect(lines.join("\n")).not.toContain("\x1b[");
    expectBannerAfterStartupLog(
      lines,
      (l) => pretty.test(l),
      (l) => / INFO: ready /.test(l),
    );
  });

  it("auto: readable, coloured lines when stderr is a terminal", async () => {
    const hasScript = spawnSync("script", ["--version"]).status === 0;
    if (!hasScript)
      return expect
        .soft(hasScript, "util-linux's script (a pseudo-terminal) is not installed")
        .toBe(true);
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-log-tty-"));
    // script(1) runs the command on a pseudo-terminal: stdout and stderr are a terminal
    child = spawn("script", ["-qec", `"${process.execPath}" "${CLI}" start`, "/dev/null"], {
      cwd,
      env: {
        PATH: process.env.PATH,
        MMBOT_SANDBOX_PORT: "0",
        MMBOT_LOG_LEVEL: "info",
        TERM: "xterm",
      },
    });
    let screen = "";
    child.stdout!.on("data", (d: Buffer) => (screen += d.toString()));
    await until(
      () => (screen.includes(BANNER_LAST) ? true : undefined),
      "the banner on the terminal",
    );
    const bot = JSON.parse(await readWhenWritten(join(cwd, "data", "sandbox.json"))) as {
      pid: number;
    };
    process.kill(bot.pid, "SIGTERM");
    expect(screen).toContain("\x1b[32mINFO\x1b[39m: \x1b[36mready\x1b[39m");
    expect(screen).not.toContain('{"level"');
    expect(screen.indexOf("ready")).toBeLessThan(screen.indexOf(BANNER_FIRST));
  });

  it("a bad value is refused, naming the key, its variable and the choices", async () => {
    const result = await runCli(["start"], {
      cwd: mkdtempSync(join(tmpdir(), "mmbot-log-")),
      env: { MMBOT_LOG_FORMAT: "fancy" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'mmbot: environment variable MMBOT_LOG_FORMAT: log.format = "fancy": Invalid option: expected one of "auto"|"json"|"pretty"\n  example: format = "auto"   # or "json" (JSON lines), "pretty" (readable lines)\n',
    );
  });
});
