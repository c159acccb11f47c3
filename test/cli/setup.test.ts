// `mmbot setup` and the integration checks of `mmbot doctor`, as a user runs them: the CLI as a
// child process (dist/service/cli/main.js, built by `npm test`) against the sandbox over real HTTP.
import type { Command, OutgoingWebhook } from "../../src/mattermost/types.js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/service/config.js";
import { ConfigError } from "../../src/errors.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { checkPublicUrl } from "../../src/service/setup/check.js";
import { CLI, runCli, until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";

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
    const response = await fetch(`${sandbox.url}/api/v4${path}`, {
      method,
      headers: { Authorization: `Bearer ${seed.users.admin.token}` },
    });
    return (await response.json()) as T;
  }
  const commands = () =>
    admin<Command[]>("GET", `/commands?team_id=${seed.team.id}&custom_only=true`);
  const hooks = () => admin<OutgoingWebhook[]>("GET", `/hooks/outgoing?team_id=${seed.team.id}`);

  function project(toml: string): { cwd: string; env: Record<string, string> } {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-setup-"));
    writeFileSync(join(cwd, "mmbot.toml"), toml);
    return {
      cwd,
      env: {
        MATTERMOST_URL: sandbox.url,
        MATTERMOST_BOT_TOKEN: seed.bot.token,
        DATABASE_URL: `sqlite:${join(cwd, "bot.db")}`,
        MMBOT_ADMIN_TOKEN: seed.users.admin.token,
      },
    };
  }

  it("registers the declared command and webhook, then changes nothing on a second run", async () => {
    const { cwd, env } = project(TODO_TOML("http://127.0.0.1:3000"));
    const first = await runCli(["setup"], { cwd, env });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("✓ /todo in team acme: created → http://127.0.0.1:3000/slash");
    expect(first.stdout).toContain(
      "✓ outgoing webhook [todo] in team acme: created → http://127.0.0.1:3000/hooks/outgoing",
    );
    const [command] = await commands();
    expect(command).toMatchObject({
      trigger: "todo",
      url: "http://127.0.0.1:3000/slash",
      auto_complete: true,
      auto_complete_hint: "[add|list|done] text",
    });
    const [hook] = await hooks();
    expect(hook).toMatchObject({
      trigger_words: ["todo"],
      callback_urls: ["http://127.0.0.1:3000/hooks/outgoing"],
    });
    // the tokens, marked as secrets, with the way to configure them instead
    expect(first.stdout).toContain(`/todo in team acme: ${command!.token}`);
    expect(first.stdout).toMatch(/SECRETS/);
    expect(first.stdout).toContain(`slash_tokens = ["${command!.token}"]`);
    expect(first.stdout).toContain(`outgoing_webhook_tokens = ["${hook!.token}"]`);

    const second = await runCli(["setup"], { cwd, env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("✓ /todo in team acme: unchanged");
    expect(second.stdout).toContain("✓ outgoing webhook [todo] in team acme: unchanged");
    expect(await commands()).toHaveLength(1);
    expect(await hooks()).toHaveLength(1);
  });

  it("points the integrations at a new public_url in place, keeping their tokens", async () => {
    const { cwd, env } = project(TODO_TOML("http://127.0.0.1:3000"));
    expect((await runCli(["setup"], { cwd, env })).code).toBe(0);
    const [before] = await commands();

    const moved = await runCli(["setup"], {
      cwd,
      env: { ...env, MMBOT_HTTP_PUBLIC_URL: "https://bot.example.com" },
    });
    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain("✓ /todo in team acme: updated → https://bot.example.com/slash");
    expect(moved.stdout).toContain(
      "✓ outgoing webhook [todo] in team acme: updated → https://bot.example.com/hooks/outgoing",
    );
    const after = await commands();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({
      id: before!.id,
      token: before!.token,
      url: "https://bot.example.com/slash",
    });
    expect((await hooks()).map((h) => h.callback_urls)).toEqual([
      ["https://bot.example.com/hooks/outgoing"],
    ]);
  });

  it("stores the tokens, so the started bot accepts the command the server runs", async () => {
    const port = await freePort();
    const { cwd, env } = project(TODO_TOML(`http://127.0.0.1:${port}`, `127.0.0.1:${port}`));
    expect((await runCli(["setup"], { cwd, env })).code).toBe(0);

    // no token in the configuration: the bot has only what setup stored
    bot = spawn(process.execPath, [CLI, "start"], {
      cwd,
      env: {
        PATH: process.env.PATH,
        MMBOT_LOG_LEVEL: "warn",
        MMBOT_POLICY_ALLOWED_USERS: "*",
        ...env,
      },
    });
    let stdout = "";
    bot.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    await until(
      () => stdout.includes("@todobot connected to") || undefined,
      "the bot's connected line",
    );

    // the server applies the bot's answer only when the bot accepted the token (a refusal is the 401 below)
    await expect(
      sandbox.runSlashCommand(seed.users.alice.user.id, seed.channels.townSquare.id, "/todo list"),
    ).resolves.toMatchObject({ response_type: expect.any(String) });
    const doctor = await runCli(["doctor"], {
      cwd,
      env: { ...env, MMBOT_POLICY_ALLOWED_USERS: "*" },
    });
    expect(doctor.stdout).toContain(`✓ the bot answers at http://127.0.0.1:${port}/healthz`);
    expect(doctor.stdout).toContain("all checks passed");

    const [command] = await commands();
    await admin("PUT", `/commands/${command!.id}/regen_token`);
    await expect(
      sandbox.runSlashCommand(seed.users.alice.user.id, seed.channels.townSquare.id, "/todo list"),
    ).rejects.toThrow(/returned response 401/);
  });

  it("explains a refusal: which permission the token lacks, and how to give setup one that has it", async () => {
    const { cwd, env } = project(TODO_TOML("http://127.0.0.1:3000"));
    const { MMBOT_ADMIN_TOKEN: _, ...botOnly } = env;
    const asBot = await runCli(["setup"], { cwd, env: botOnly });
    expect(asBot.code).toBe(1);
    expect(asBot.stdout).toContain(
      "✗ /todo in team acme: @todobot (the bot token) may not manage slash commands: the server refused with api.context.permissions.app_error; it needs the manage_slash_commands permission",
    );
    expect(asBot.stdout).toContain("@todobot (the bot token) may not manage outgoing webhooks");
    expect(asBot.stdout).toMatch(/System Admin role .*"post:all"/);
    expect(asBot.stdout).toContain("mmbot setup --token <token> (or MMBOT_ADMIN_TOKEN=<token>)");

    const asAlice = await runCli(["setup", "--token", seed.users.alice.token], {
      cwd,
      env: botOnly,
    });
    expect(asAlice.code).toBe(1);
    expect(asAlice.stdout).toContain("@alice (--token) may not manage slash commands");
    expect(asAlice.stdout).toContain("Give @alice the permission");
    expect(await commands()).toHaveLength(0);
  });

  it("leaves alone a command somebody else registered for another address", async () => {
    sandbox.createCommand(seed.users.admin.user.id, {
      team_id: seed.team.id,
      trigger: "todo",
      url: "https://other.example.com/todo",
    });
    const { cwd, env } = project(TODO_TOML("http://127.0.0.1:3000"));
    // a second admin runs setup: the command is neither theirs nor pointing at this bot
    const other = sandbox.createUser({ username: "root", roles: "system_admin system_user" });
    const result = await runCli(["setup"], {
      cwd,
      env: { ...env, MMBOT_ADMIN_TOKEN: other.token },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✗ \/todo in team acme: \/todo already exists in team acme, registered by another user for https:\/\/other\.example\.com\/todo; left alone/,
    );
    expect(result.stdout).toContain("✓ outgoing webhook [todo] in team acme: created");
    expect((await commands()).map((c) => c.url)).toEqual(["https://other.example.com/todo"]);
  });

  it("doctor: ✗ with the fix before setup, ✓ after it, ✗ again once a webhook is deleted", async () => {
    const { cwd, env } = project(TODO_TOML("http://127.0.0.1:3000"));
    const doctorEnv = { ...env, MMBOT_POLICY_ALLOWED_USERS: "*" };
    const before = await runCli(["doctor"], { cwd, env: doctorEnv });
    expect(before.code).toBe(1);
    expect(before.stdout).toMatch(
      /✗ \/todo in team acme: not registered on the server\n    fix: run mmbot setup/,
    );
    expect(before.stdout).toMatch(
      /✗ outgoing webhook \[todo\] in team acme: not registered on the server\n    fix: run mmbot setup/,
    );

    expect((await runCli(["setup"], { cwd, env })).code).toBe(0);
    const after = await runCli(["doctor"], { cwd, env: doctorEnv });
    expect(after.stdout).toContain(
      "✓ /todo in team acme: registered, points at http://127.0.0.1:3000/slash, token accepted",
    );
    expect(after.stdout).toContain(
      "✓ outgoing webhook [todo] in team acme: registered, points at http://127.0.0.1:3000/hooks/outgoing, token accepted",
    );
    // the bot is not running: a warning, not a failure
    expect(after.stdout).toMatch(
      /! http:\/\/127\.0\.0\.1:3000\/healthz does not answer from here .*\n    fix: start the bot/,
    );
    expect(after.stdout).toContain("all checks passed (2 warnings)");
    expect(after.stdout).toContain("! @todobot may not send ephemeral posts");
    expect(after.code).toBe(0);

    // another store (a fresh install): the bot would refuse the tokens, unless configured
    const freshStore = { ...doctorEnv, DATABASE_URL: `sqlite:${join(cwd, "other.db")}` };
    const fresh = await runCli(["doctor"], { cwd, env: freshStore });
    expect(fresh.stdout).toMatch(
      /✗ \/todo in team acme: the bot would refuse its token \(neither stored by mmbot setup nor in http\.slash_tokens\)\n    fix: run mmbot setup: it stores the token/,
    );
    const [registered] = await commands();
    const configured = await runCli(["doctor"], {
      cwd,
      env: { ...freshStore, MMBOT_HTTP_SLASH_TOKENS: registered!.token },
    });
    expect(configured.stdout).toContain(
      "✓ /todo in team acme: registered, points at http://127.0.0.1:3000/slash, token accepted",
    );

    const [hook] = await hooks();
    await admin("DELETE", `/hooks/outgoing/${hook!.id}`);
    const deleted = await runCli(["doctor"], { cwd, env: doctorEnv });
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toMatch(
      /✗ outgoing webhook \[todo\] in team acme: not registered on the server\n    fix: run mmbot setup/,
    );
    expect(deleted.stdout).toContain("1 check failed (2 warnings)");

    // moved elsewhere by hand: doctor names both addresses
    const [command] = await commands();
    await fetch(`${sandbox.url}/api/v4/commands/${command!.id}`, {
      method: "PUT",
      headers: { Authorization: `Bearer ${seed.users.admin.token}` },
      body: JSON.stringify({ ...command, url: "https://elsewhere.example.com/slash" }),
    });
    const moved = await runCli(["doctor"], { cwd, env: doctorEnv });
    expect(moved.stdout).toMatch(
      /✗ \/todo in team acme: points at https:\/\/elsewhere\.example\.com\/slash, not http:\/\/127\.0\.0\.1:3000\/slash \(http\.public_url\)\n    fix: run mmbot setup/,
    );
  });

  it("doctor: with only the bot's token the integrations cannot be listed, a warning that says which token to give", async () => {
    const { cwd, env } = project(TODO_TOML("http://127.0.0.1:3000"));
    expect((await runCli(["setup"], { cwd, env })).code).toBe(0);
    const { MMBOT_ADMIN_TOKEN: _, ...botOnly } = env;
    const result = await runCli(["doctor"], {
      cwd,
      env: { ...botOnly, MMBOT_POLICY_ALLOWED_USERS: "*" },
    });
    expect(result.stdout).toMatch(
      /! the declared integrations cannot be checked with this token.*\n    fix: check with a token that may manage integrations: MMBOT_ADMIN_TOKEN=/,
    );
    expect(result.code).toBe(0);
  });

  it("doctor: warns when a webhook's channel is one the bot cannot answer in", async () => {
    const hookIn = (channel: string) =>
      `[http]\npublic_url = "http://127.0.0.1:3000"\n[[http.outgoing_webhooks]]\nteam = "acme"\nchannel = "${channel}"\ntrigger_words = ["todo"]\n`;
    const outside = project(hookIn("off-topic"));
    expect((await runCli(["setup"], outside)).code).toBe(0);
    const warned = await runCli(["doctor"], {
      cwd: outside.cwd,
      env: { ...outside.env, MMBOT_POLICY_ALLOWED_USERS: "*" },
    });
    expect(warned.stdout).toMatch(
      /! outgoing webhook \[todo\] in team acme ~off-topic: @todobot is not a member of ~off-topic, so its answers there may be refused\n    fix: invite it: \/invite @todobot in ~off-topic/,
    );
    expect(warned.code).toBe(0);

    for (const h of await hooks()) await admin("DELETE", `/hooks/outgoing/${h.id}`);
    const inside = project(hookIn("town-square"));
    expect((await runCli(["setup"], inside)).code).toBe(0);
    const clean = await runCli(["doctor"], {
      cwd: inside.cwd,
      env: { ...inside.env, MMBOT_POLICY_ALLOWED_USERS: "*" },
    });
    expect(clean.stdout).toContain(
      "✓ outgoing webhook [todo] in team acme ~town-square: registered",
    );
    expect(clean.stdout).not.toContain("is not a member");
  });

  it("doctor: warns when public_url is missing while integrations are declared", async () => {
    const { cwd, env } = project('[[http.slash_commands]]\ntrigger = "todo"\nteam = "acme"\n');
    const result = await runCli(["doctor"], {
      cwd,
      env: { ...env, MMBOT_POLICY_ALLOWED_USERS: "*" },
    });
    expect(result.stdout).toMatch(
      /! http\.public_url is not set: slash commands would point Mattermost at http:\/\/127\.0\.0\.1:3000\n    fix: set it to the address/,
    );

    const setup = await runCli(["setup"], { cwd, env });
    expect(setup.code).toBe(1);
    expect(setup.stderr).toMatch(
      /http\.public_url is missing: .*\n  example: public_url = "https:\/\/bot\.example\.com"/,
    );
  });
});

describe("mmbot setup on a server with slash commands disabled", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ integrations: { enableCommands: false } });
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());

  it("names the setting to turn on, and still registers the webhook", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-setup-"));
    writeFileSync(join(cwd, "mmbot.toml"), TODO_TOML("http://127.0.0.1:3000"));
    const env = {
      MATTERMOST_URL: sandbox.url,
      MATTERMOST_BOT_TOKEN: seed.bot.token,
      DATABASE_URL: `sqlite:${join(cwd, "bot.db")}`,
      MMBOT_ADMIN_TOKEN: seed.users.admin.token,
    };
    const result = await runCli(["setup"], { cwd, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '✗ /todo in team acme: slash commands are disabled on this server (api.command.disabled.app_error). A system admin enables them: System Console › Integrations › Integration Management › "Enable Custom Slash Commands" (ServiceSettings.EnableCommands).',
    );
    expect(result.stdout).toContain("✓ outgoing webhook [todo] in team acme: created");
    expect(result.stdout).toContain("1 integration not registered");

    const doctor = await runCli(["doctor"], {
      cwd,
      env: { ...env, MMBOT_POLICY_ALLOWED_USERS: "*" },
    });
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(
      /✗ the declared integrations are disabled on the server \(api\.command\.disabled\.app_error\)\n    fix: a system admin enables them/,
    );
  });
});

describe("http.public_url against the server's address", () => {
  const http = (publicUrl: string | undefined, extra: Record<string, unknown> = {}) => {
    const env = {
      MMBOT_HTTP_LISTEN: "0.0.0.0:3000",
      ...(publicUrl ? { MMBOT_HTTP_PUBLIC_URL: publicUrl } : {}),
    };
    return { ...loadConfig({ path: "/nonexistent/mmbot.toml", env }).http!, ...extra };
  };

  it("warns about a loopback address when the server is remote", () => {
    const [result] = checkPublicUrl(http("http://127.0.0.1:3000"), "https://chat.example.com");
    expect(result).toMatchObject({ ok: false, warn: true });
    expect(result!.label).toBe(
      "http.public_url http://127.0.0.1:3000 is a loopback address, but Mattermost runs at https://chat.example.com: it cannot reach the bot there",
    );
    expect(result!.fix).toContain("AllowedUntrustedInternalConnections");
  });

  it("warns about a private address when the server is public, not when both are on the same network", () => {
    expect(
      checkPublicUrl(http("http://192.168.1.20:3000"), "https://chat.example.com")[0],
    ).toMatchObject({ warn: true, label: expect.stringContaining("is a private address") });
    expect(checkPublicUrl(http("http://10.0.0.5:3000"), "http://10.0.0.2:8065")[0]).toMatchObject({
      ok: true,
    });
    expect(checkPublicUrl(http("http://localhost:3000"), "http://127.0.0.1:8065")[0]).toMatchObject(
      { ok: true },
    );
    expect(
      checkPublicUrl(http("https://bot.example.com"), "https://chat.example.com")[0],
    ).toMatchObject({ ok: true });
  });

  it("warns when buttons need a public_url that is not set, and says nothing when nothing needs one", () => {
    expect(
      checkPublicUrl(
        http(undefined, { action_secret: "x".repeat(32) }),
        "https://chat.example.com",
      )[0]!.label,
    ).toBe(
      "http.public_url is not set: buttons and dialogs would point Mattermost at http://0.0.0.0:3000",
    );
    expect(checkPublicUrl(http(undefined), "https://chat.example.com")).toEqual([]);
  });
});

describe("declaring integrations in mmbot.toml", () => {
  function load(toml: string) {
    const path = join(mkdtempSync(join(tmpdir(), "mmbot-config-")), "mmbot.toml");
    writeFileSync(path, toml);
    return () => loadConfig({ path, env: {} });
  }

  it("reads the documented /todo example; the webhook's trigger words become the bot's", () => {
    const config = load(TODO_TOML("https://bot.example.com"))();
    expect(config.http!.slash_commands).toEqual([
      {
        trigger: "todo",
        team: "acme",
        description: "Manage the channel's todo list",
        hint: "[add|list|done] text",
        display_name: "",
        autocomplete: true,
        method: "POST",
      },
    ]);
    expect(config.http!.outgoing_webhooks[0]).toMatchObject({
      team: "acme",
      trigger_words: ["todo"],
      trigger_when: "first_word",
      content_type: "application/x-www-form-urlencoded",
    });
    expect(config.http!.trigger_words).toEqual(["todo"]);
  });

  it("names the key, the value, what was expected and an example", () => {
    expect(load('[[http.slash_commands]]\ntrigger = "to do"\nteam = "acme"\n')).toThrow(
      ConfigError,
    );
    expect(load('[[http.slash_commands]]\ntrigger = "to do"\nteam = "acme"\n')).toThrow(
      /http\.slash_commands\[0\]\.trigger = "to do": expected one word without spaces, e\.g\. todo \(typed as \/todo\)\n  example: trigger = "todo"/,
    );
    expect(load('[[http.outgoing_webhooks]]\nteam = "acme"\n')).toThrow(
      /http\.outgoing_webhooks\[0\]\.trigger_words is missing: expected at least one trigger word, or a channel/,
    );
    expect(
      load(
        '[[http.outgoing_webhooks]]\nteam = "acme"\ntrigger_words = ["todo"]\ntrigger_when = "sometimes"\n',
      ),
    ).toThrow(/trigger_when = "sometimes": expected "first_word"/);
    expect(
      load(
        '[[http.slash_commands]]\ntrigger = "todo"\nteam = "acme"\n[[http.slash_commands]]\ntrigger = "/TODO"\nteam = "acme"\n',
      ),
    ).toThrow(
      /http\.slash_commands\[1\]\.trigger = "\/TODO": expected a trigger not declared twice in team acme/,
    );
  });
});
