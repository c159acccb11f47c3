// The `mmbot` command as a user runs it: a real child process (dist/service/cli/main.js, built by `npm test`).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { openServiceStore } from "../../src/service/service-store.js";
import { askAsAlice, CLI, runCli, until } from "../helpers/cli.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "mmbot-cli-"));
}

describe("mmbot start with nothing configured", () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill("SIGKILL");
    child = undefined;
  });

  it("starts the sandbox and the todo bot, answers a user, passes doctor, and shuts down cleanly", async () => {
    const cwd = tempDir();
    child = spawn(process.execPath, [CLI, "start"], {
      cwd,
      env: { PATH: process.env.PATH, MMBOT_SANDBOX_PORT: "0", MMBOT_LOG_LEVEL: "warn" },
    });
    let stdout = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child!.on("exit", (code) => resolve(code)),
    );

    const url = await until(
      () => /sandbox Mattermost running at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1],
      "the sandbox line",
    );
    await until(
      () => (stdout.includes("@todobot connected to") ? true : undefined),
      "the connected line",
    );
    await until(
      () => (stdout.includes("npx mmbot chat") ? true : undefined),
      "how to talk to the bot",
    );
    expect(existsSync(join(cwd, "data", "sandbox.json"))).toBe(true);

    // alice, as a person would: log in, post in town-square, read the bot's answer in the thread
    const { reply } = await askAsAlice(url, "@todobot add buy milk");
    expect(reply.message).toBe("Added #1: buy milk");

    const doctor = await runCli(["doctor"], { cwd });
    expect(doctor.stdout).toContain("all checks passed");
    expect(doctor.code).toBe(0);

    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(existsSync(join(cwd, "data", "sandbox.json"))).toBe(false);
  });

  it("refuses a bad configuration file, naming the key, the value and an example", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "mmbot.toml"), '[policy]\nmention_only = "maybe"\n');
    const result = await runCli(["start"], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/policy\.mention_only/);
    expect(result.stderr).toMatch(/maybe/);
    expect(result.stderr).toMatch(/mention_only = true/);
  });

  it("says what is missing when only half of the server is configured", async () => {
    const result = await runCli(["start"], {
      cwd: tempDir(),
      env: { MATTERMOST_URL: "http://127.0.0.1:9" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/mattermost\.bot_token \(env MATTERMOST_BOT_TOKEN\) is missing/);
  });
});

describe("mmbot doctor against a configured server", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  beforeAll(async () => {
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());

  let storeUrl: string;
  beforeAll(async () => {
    // a store `mmbot start` has already migrated
    storeUrl = `sqlite:${join(tempDir(), "bot.db")}`;
    await (await openServiceStore(storeUrl)).close();
  });
  const env = (extra: Record<string, string>) => ({
    MATTERMOST_URL: `${sandbox.url}/`,
    DATABASE_URL: storeUrl,
    ...extra,
  });

  it("passes a good configuration", async () => {
    const result = await runCli(["doctor"], {
      cwd: tempDir(),
      env: env({
        MATTERMOST_BOT_TOKEN: seed.bot.token,
        MMBOT_POLICY_CHANNELS: "town-square,ops",
        MMBOT_POLICY_ALLOWED_USERS: "alice,bob",
      }),
    });
    expect(result.stdout).toContain(`✓ channel ops: exists, the bot is a member`);
    expect(result.stdout).toContain("✓ allowed user alice: exists (@alice)");
    expect(result.stdout).toContain("✓ the WebSocket accepts the token");
    expect(result.stdout).toContain("all checks passed");
    expect(result.code).toBe(0);
  });

  it("names each problem and its fix, and exits 1", async () => {
    const result = await runCli(["doctor"], {
      cwd: tempDir(),
      env: env({
        MATTERMOST_BOT_TOKEN: seed.bot.token,
        MMBOT_POLICY_CHANNELS: "off-topic,nowhere",
        MMBOT_POLICY_ALLOWED_USERS: "alice,ghost",
      }),
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✗ channel off-topic: .*\n    fix: invite the bot: type "\/invite @todobot"/,
    );
    expect(result.stdout).toMatch(/✗ channel nowhere: /);
    expect(result.stdout).toMatch(/✗ allowed user ghost: no such user\n    fix: /);
    expect(result.stdout).toContain("3 checks failed");
  });

  it("tells a person's token from a bot's, and a refused token", async () => {
    const person = await runCli(["doctor"], {
      cwd: tempDir(),
      env: env({ MATTERMOST_BOT_TOKEN: seed.users.alice.token, MMBOT_POLICY_ALLOWED_USERS: "*" }),
    });
    expect(person.code).toBe(1);
    expect(person.stdout).toContain("✗ the token belongs to @alice, a person, not a bot account");

    const refused = await runCli(["doctor"], {
      cwd: tempDir(),
      env: env({
        MATTERMOST_BOT_TOKEN: "abcdefghijklmnopqrstuvwxyz",
        MMBOT_POLICY_ALLOWED_USERS: "*",
      }),
    });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /✗ the token was refused \(expired or revoked\?\): 401 api\.context\.session_expired\.app_error\n    fix: set mattermost\.bot_token/,
    );
  });

  it("says when the server cannot be reached", async () => {
    const result = await runCli(["doctor"], {
      cwd: tempDir(),
      env: {
        MATTERMOST_URL: "http://127.0.0.1:9",
        MATTERMOST_BOT_TOKEN: "abcdefghijklmnopqrstuvwxyz",
        DATABASE_URL: `sqlite:${join(tempDir(), "b.db")}`,
      },
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /✗ http:\/\/127\.0\.0\.1:9 is not reachable as a Mattermost server .*\n    fix: check mattermost\.url/,
    );
    // the likely cause in words, as mmbot start says it
    expect(result.stdout).toContain(
      "is not reachable as a Mattermost server (connection refused: nothing listens on 127.0.0.1:9 (is the server running, is the port right?); ",
    );
    // and a fresh store: it opens, but nothing has migrated it yet
    expect(result.stdout).toMatch(
      /✗ store sqlite:.*b\.db: opens, \d+ migration\(s\) pending\n    fix: run mmbot start once/,
    );
  });
});

describe("mmbot send through the REST API as the bot", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  beforeAll(async () => {
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());
  const env = () => ({ MATTERMOST_URL: sandbox.url, MATTERMOST_BOT_TOKEN: seed.bot.token });

  it("posts a text in a channel by name, and in a thread", async () => {
    const result = await runCli(["send", "--channel", "ops", "deploy", "finished"], {
      cwd: tempDir(),
      env: env(),
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const post = sandbox
      .channelPosts(seed.channels.ops.id)
      .find((p) => p.message === "deploy finished");
    expect(post?.user_id).toBe(seed.bot.user.id);

    const reply = await runCli(["send", "--channel", "ops", "--root", post!.id, "and verified"], {
      cwd: tempDir(),
      env: env(),
    });
    expect(reply.code).toBe(0);
    expect(sandbox.thread(post!.id).map((p) => p.message)).toContain("and verified");
  });

  it("sends username as the post's override; with a person's token on 12.0 it warns once on stderr, naming the field and the version", async () => {
    const file = join(tempDir(), "as-monitor.json");
    writeFileSync(file, JSON.stringify({ text: "nightly done", username: "monitor" }));
    const asBot = await runCli(["send", "--channel", "ops", "--json", file], {
      cwd: tempDir(),
      env: env(),
    });
    expect(asBot.stderr).toBe("");
    expect(asBot.code).toBe(0);
    const botPost = sandbox
      .channelPosts(seed.channels.ops.id)
      .find((p) => p.message === "nightly done" && p.user_id === seed.bot.user.id);
    expect(botPost?.props?.override_username).toBe("monitor");

    const asPerson = await runCli(["send", "--channel", "ops", "--json", file], {
      cwd: tempDir(),
      env: { ...env(), MATTERMOST_BOT_TOKEN: seed.users.alice.token },
    });
    expect(asPerson.code).toBe(0);
    expect(asPerson.stderr.trim()).toBe(
      "warning: username: will not show on Mattermost 12.0.0: Mattermost 12.0.0 ignores it on posts made with a personal access token (use a bot account's token)",
    );
  });

  it("posts a JSON payload with attachments from stdin", async () => {
    const payload = JSON.stringify({
      text: "build #42",
      attachments: [{ color: "#00ff00", title: "passed", text: "all green" }],
    });
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [CLI, "send", "--channel", "town-square", "--json", "-"],
        { cwd: tempDir(), env: { PATH: process.env.PATH, ...env() } },
      );
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code, stderr }));
      child.stdin.end(payload);
    });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const post = sandbox
      .channelPosts(seed.channels.townSquare.id)
      .find((p) => p.message === "build #42");
    expect(
      (post?.props as { attachments?: Array<{ title: string }> }).attachments?.[0]?.title,
    ).toBe("passed");
  });

  it("prints the server's refusal as the server gave it, and explains bad input", async () => {
    const tooLong = await runCli(["send", "--channel", "ops", "x".repeat(16_384)], {
      cwd: tempDir(),
      env: env(),
    });
    expect(tooLong.code).toBe(1);
    expect(tooLong.stderr).toMatch(
      /the server refused: POST \/api\/v4\/posts → 400: Invalid message\. \(model\.post\.is_valid\.msg\.app_error, request \w+\)/,
    );

    const missing = await runCli(["send", "--channel", "nowhere", "hello"], {
      cwd: tempDir(),
      env: env(),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no channel "nowhere" in the bot's teams \(acme\)/);

    const empty = await runCli(["send", "--channel", "ops"], { cwd: tempDir(), env: env() });
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/nothing to send/);

    // a usage error: the usage line follows, exit code 2
    const nowhere = await runCli(["send", "hello"], { cwd: tempDir(), env: env() });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(
      /^mmbot send: say where to: --webhook URL, or --channel NAME \(as the bot\)\nUsage: mmbot send \[options\] \[text\.\.\.\]\n/,
    );
  });
});

describe("mmbot send through an incoming webhook", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  beforeAll(async () => {
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());

  it("posts a text and a JSON payload with attachments to the webhook's channel", async () => {
    const hook = sandbox.createIncomingWebhook(seed.users.admin.user.id, {
      channel_id: seed.channels.ops.id,
    });
    const url = `${sandbox.url}/hooks/${hook.id}`;
    const plain = await runCli(["send", "--webhook", url, "nightly", "backup", "done"], {
      cwd: tempDir(),
    });
    expect(plain.stderr).toBe("");
    expect(plain.code).toBe(0);
    expect(
      sandbox
        .channelPosts(seed.channels.ops.id)
        .some((p) => p.message === "nightly backup done" && p.props?.from_webhook === "true"),
    ).toBe(true);

    const file = join(tempDir(), "payload.json");
    writeFileSync(
      file,
      JSON.stringify({
        text: "disk usage",
        username: "monitor",
        attachments: [{ title: "/var", text: "91%" }],
      }),
    );
    const rich = await runCli(["send", "--webhook", url, "--json", file], { cwd: tempDir() });
    expect(rich.code).toBe(0);
    const post = sandbox.channelPosts(seed.channels.ops.id).find((p) => p.message === "disk usage");
    expect(post?.props?.override_username).toBe("monitor");
    expect(
      (post?.props as { attachments?: Array<{ title: string }> }).attachments?.[0]?.title,
    ).toBe("/var");
  });

  it("prints the server's error for an unknown hook without printing the hook id, and rejects bad JSON", async () => {
    const secretId = "abcdefghijklmnopqrstuvwxyz";
    const result = await runCli(
      ["send", "--webhook", `${sandbox.url}/hooks/${secretId}`, "hello"],
      { cwd: tempDir() },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/the server refused: POST \/hooks\/… → 400: /);
    expect(result.stderr).not.toContain(secretId);

    const file = join(tempDir(), "bad.json");
    writeFileSync(file, "{ text: nope");
    const bad = await runCli(
      ["send", "--webhook", `${sandbox.url}/hooks/${secretId}`, "--json", file],
      { cwd: tempDir() },
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.json: not valid JSON/);
  });
});
