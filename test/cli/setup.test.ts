// `mmbot setup` and the integration checks of `mmbot doctor`, as a user runs them: the CLI as a
// child process (dist/cli.js, built by `npm test`) against the sandbox over real HTTP.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";

const CLI = new URL("../../dist/cli.js", import.meta.url).pathname;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, env: { PATH: process.env.PATH, MMBOT_LOG_LEVEL: "warn", ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port free right now, for a bot whose public URL must be known before it starts. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

const TODO_TOML = (publicUrl: string, listen = "127.0.0.1:3000") => `
[http]
listen = "${listen}"
public_url = "${publicUrl}"

[[http.slash_commands]]
trigger = "todo"
team = "acme"
description = "Manage the channel's todo list"
hint = "[add|list|done] text"

[[http.outgoing_webhooks]]
team = "acme"
trigger_words = ["todo"]
`;

interface ServerCommand {
  id: string;
  trigger: string;
  url: string;
  token: string;
  auto_complete: boolean;
  auto_complete_hint: string;
}
interface ServerHook {
  id: string;
  trigger_words: string[];
  callback_urls: string[];
  token: string;
}

describe("mmbot setup", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  beforeAll(async () => {
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());

  let bot: ChildProcess | undefined;
  afterEach(async () => {
    // remove what a test registered, so each starts from a server without integrations
    for (const c of await commands()) await admin("DELETE", `/commands/${c.id}`);
    for (const h of await hooks()) await admin("DELETE", `/hooks/outgoing/${h.id}`);
    bot?.kill("SIGKILL");
    bot = undefined;
  });

  async function admin<T>(method: string, path: string): Promise<T> {
    const response = await fetch(`${sandbox.url}/api/v4${path}`, { method, headers: { Authorization: `Bearer ${seed.users.admin.token}` } });
    return (await response.json()) as T;
  }
  const commands = () => admin<ServerCommand[]>("GET", `/commands?team_id=${seed.team.id}&custom_only=true`);
  const hooks = () => admin<ServerHook[]>("GET", `/hooks/outgoing?team_id=${seed.team.id}`);

  function project(toml: string): { cwd: string; env: Record<string, string> } {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-setup-"));
    writeFileSync(join(cwd, "mmbot.toml"), toml);
    return {
      cwd,
      env: { MATTERMOST_URL: sandbox.url, MATTERMOST_BOT_TOKEN: seed.bot.token, DATABASE_URL: `sqlite:${join(cwd, "bot.db")}`, MMBOT_ADMIN_TOKEN: seed.users.admin.token },
    };
  }

  it("registers the declared command and webhook, then changes nothing on a second run", async () => {
    const { cwd, env } = project(TODO_TOML("http://127.0.0.1:3000"));
    const first = await run(["setup"], { cwd, env });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("✓ /todo in team acme: created → http://127.0.0.1:3000/slash");
    expect(first.stdout).toContain("✓ outgoing webhook [todo] in team acme: created → http://127.0.0.1:3000/hooks/outgoing");
    const [command] = await commands();
    expect(command).toMatchObject({ trigger: "todo", url: "http://127.0.0.1:3000/slash", auto_complete: true, auto_complete_hint: "[add|list|done] text" });
    const [hook] = await hooks();
    expect(hook).toMatchObject({ trigger_words: ["todo"], callback_urls: ["http://127.0.0.1:3000/hooks/outgoing"] });
    // the tokens, marked as secrets, with the way to configure them instead
    expect(first.stdout).toContain(`/todo in team acme: ${command!.token}`);
    expect(first.stdout).toMatch(/SECRETS/);
    expect(first.stdout).toContain(`slash_tokens = ["${command!.token}"]`);
    expect(first.stdout).toContain(`outgoing_webhook_tokens = ["${hook!.token}"]`);

    const second = await run(["setup"], { cwd, env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("✓ /todo in team acme: unchanged");
    expect(second.stdout).toContain("✓ outgoing webhook [todo] in team acme: unchanged");
    expect(await commands()).toHaveLength(1);
    expect(await hooks()).toHaveLength(1);
  });

  it("points the integrations at a new public_url in place, keeping their tokens", async () => {
    const { cwd, env } = project(TODO_TOML("http://127.0.0.1:3000"));
    expect((await run(["setup"], { cwd, env })).code).toBe(0);
    const [before] = await commands();

    const moved = await run(["setup"], { cwd, env: { ...env, MMBOT_HTTP_PUBLIC_URL: "https://bot.example.com" } });
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain("✓ /todo in team acme: updated → https://bot.example.com/slash");
    expect(moved.stdout).toContain("✓ outgoing webhook [todo] in team acme: updated → https://bot.example.com/hooks/outgoing");
    const after = await commands();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: before!.id, token: before!.token, url: "https://bot.example.com/slash" });
    expect((await hooks()).map((h) => h.callback_urls)).toEqual([["https://bot.example.com/hooks/outgoing"]]);
  });

  it("stores the tokens, so the started bot accepts the command the server runs", async () => {
    const port = await freePort();
    const { cwd, env } = project(TODO_TOML(`http://127.0.0.1:${port}`, `127.0.0.1:${port}`));
    expect((await run(["setup"], { cwd, env })).code).toBe(0);

    // no token in the configuration: the bot has only what setup stored
    bot = spawn(process.execPath, [CLI, "start"], { cwd, env: { PATH: process.env.PATH, MMBOT_LOG_LEVEL: "warn", MMBOT_POLICY_ALLOWED_USERS: "*", ...env } });
    let stdout = "";
    bot.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    await until(() => stdout.includes("@todobot connected to"), "the bot's connected line");

    const answer = await sandbox.runSlashCommand(seed.users.alice.user.id, seed.channels.townSquare.id, "/todo list");
    // a refused token makes the server report "returned response 401" instead of an answer
    expect(answer.text).not.toBe("");

    const [command] = await commands();
    await admin("PUT", `/commands/${command!.id}/regen_token`);
    await expect(sandbox.runSlashCommand(seed.users.alice.user.id, seed.channels.townSquare.id, "/todo list")).rejects.toThrow(/returned response 401/);
  });
});

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
