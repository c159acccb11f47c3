// `mmbot sandbox` as a user runs it (a real child process): the sandbox alone, at the version
// asked, with the bot account's address and token printed for a bot of one's own, and its
// discovery record (for `mmbot chat` and `doctor`) written and removed.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, runCli, until } from "../helpers/cli.js";

const kills: (() => void)[] = [];
afterEach(() => {
  for (const kill of kills.splice(0)) kill();
});

describe("mmbot sandbox", () => {
  it("runs a local Mattermost of the version asked and prints how a bot of one's own reaches it", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-sandbox-cmd-"));
    const child = spawn(
      process.execPath,
      [CLI, "sandbox", "--port", "0", "--fresh", "--version", "10.11"],
      { cwd, env: { PATH: process.env.PATH, MMBOT_LOG_LEVEL: "warn" } },
    );
    kills.push(() => child.kill("SIGKILL"));
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));

    const [, url, token] = await until(
      () => /MATTERMOST_URL=(\S+) MATTERMOST_BOT_TOKEN=(\S+)/.exec(stdout) ?? undefined,
      "the address and token line",
      15_000,
    );
    expect(stdout).toContain("version 10.11");
    const me = await fetch(`${url}/api/v4/users/me`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { username: string }).username).toBe("todobot");
    expect(me.headers.get("x-version-id")).toMatch(/^10\.11\./);
    const record = join(cwd, "data", "sandbox.json");
    expect(JSON.parse(readFileSync(record, "utf8"))).toMatchObject({ url, bot_token: token });

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(existsSync(record)).toBe(false);
  }, 30_000);

  it("refuses a version it does not play, naming those it does", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-sandbox-cmd-"));
    const run = await runCli(["sandbox", "--version", "9.9"], { cwd });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--version expects one of 5.37, 10.11, 11.10, 12.0, not "9.9"');
  });
});
