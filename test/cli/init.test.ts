// `mmbot init` as a user runs it: a child process against the sandbox, with the answers as flags
// (--yes) or typed over a pipe, one per line.
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/service/config.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { runCli } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";

const tempDir = () => mkdtempSync(join(tmpdir(), "mmbot-init-"));
const mode = (path: string) => statSync(path).mode & 0o777;

describe("mmbot init", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  beforeAll(async () => {
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());

  it("--yes: writes mmbot.toml with the token (mode 0600) and runs doctor, which passes", async () => {
    const cwd = tempDir();
    const result = await runCli(
      [
        "init",
        "--yes",
        "--url",
        sandbox.url,
        "--token",
        seed.bot.token,
        "--allowed-users",
        "alice, @bob",
      ],
      { cwd },
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const file = join(cwd, "mmbot.toml");
    expect(mode(file)).toBe(0o600);
    const config = loadConfig({ path: file, env: {} });
    expect(config.mattermost).toEqual({
      url: sandbox.url,
      bot_token: seed.bot.token,
      transport: "auto",
      polling_interval_ms: 2000,
      token_check_interval_ms: 60_000,
      max_requests_per_second: 8,
    });
    expect(config.policy.allowed_users).toEqual(["alice", "bob"]);
    expect(config.http).toBeUndefined();
    expect(result.stdout).toContain(
      "wrote mmbot.toml (mode 0600: it holds the bot's token; keep it out of version control)",
    );
    expect(result.stdout).toContain(`mmbot doctor: checking ${sandbox.url} (configured server)`);
    expect(result.stdout).toContain("✓ allowed user bob: exists (@bob)");
    expect(result.stdout).toMatch(/✓ store sqlite:.*mmbot\.db: opens, migrations up to date/);
    expect(result.stdout).toContain("all checks passed");
    expect(result.stdout).toContain("ready: mmbot start");
  });

  it("--token-env: the file holds no secret and says to set MATTERMOST_BOT_TOKEN; doctor uses the environment's", async () => {
    const cwd = tempDir();
    const result = await runCli(
      ["init", "--yes", "--token-env", "--url", sandbox.url, "--allowed-users", "*"],
      { cwd, env: { MATTERMOST_BOT_TOKEN: seed.bot.token } },
    );
    expect(result.code).toBe(0);
    const text = readFileSync(join(cwd, "mmbot.toml"), "utf8");
    expect(text).not.toContain(seed.bot.token);
    expect(text).toContain("set MATTERMOST_BOT_TOKEN in the environment");
    expect(mode(join(cwd, "mmbot.toml"))).toBe(0o644);
    expect(
      loadConfig({ path: join(cwd, "mmbot.toml"), env: { MATTERMOST_BOT_TOKEN: seed.bot.token } })
        .policy.allowed_users,
    ).toBe("*");
    expect(result.stdout).toContain("✓ the token is valid: bot account @todobot");
    expect(result.stdout).toContain("ready: MATTERMOST_BOT_TOKEN=<the token> mmbot start");

    // and without a token anywhere: the file is written, doctor waits for the token
    const later = await runCli(
      ["init", "--yes", "--token-env", "--url", sandbox.url, "--allowed-users", "alice"],
      { cwd: tempDir() },
    );
    expect(later.code).toBe(0);
    expect(later.stdout).toContain(
      "set MATTERMOST_BOT_TOKEN to the bot's access token, then check the configuration: mmbot doctor",
    );
  });

  it("--public-url adds [http]; a public URL on this machine is also where the bot listens", async () => {
    const cwd = tempDir();
    const address = `127.0.0.1:${await freePort()}`; // nothing listens there: the check warns
    const result = await runCli(
      [
        "init",
        "-y",
        "--url",
        sandbox.url,
        "--token",
        seed.bot.token,
        "--allowed-users",
        "alice",
        "--public-url",
        `http://${address}`,
      ],
      { cwd },
    );
    expect(result.code).toBe(0); // the bot not answering there yet is a warning
    expect(loadConfig({ path: join(cwd, "mmbot.toml"), env: {} }).http).toMatchObject({
      listen: address,
      public_url: `http://${address}`,
    });
    expect(result.stdout).toContain(`! http://${address}/healthz does not answer from here`);
  });

  it("does not overwrite an existing file unless --force", async () => {
    const cwd = tempDir();
    const file = join(cwd, "mmbot.toml");
    writeFileSync(file, "# mine\n", { mode: 0o644 });
    const args = [
      "init",
      "--yes",
      "--url",
      sandbox.url,
      "--token",
      seed.bot.token,
      "--allowed-users",
      "alice",
    ];
    const refused = await runCli(args, { cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "mmbot: mmbot.toml already exists: mmbot init does not overwrite it. Edit it, or replace it: mmbot init --force\n",
    );
    expect(readFileSync(file, "utf8")).toBe("# mine\n");

    const forced = await runCli([...args, "--force"], { cwd });
    expect(forced.code).toBe(0);
    expect(readFileSync(file, "utf8")).toContain(seed.bot.token);
    expect(mode(file)).toBe(0o600); // the replaced file was readable by all; this one holds a secret
  });

  it("--yes without the answers, or with a bad one: says which, with the usage, exit 2, no file", async () => {
    const cwd = tempDir();
    const missing = await runCli(["init", "--yes", "--url", sandbox.url], { cwd });
    expect(missing.code).toBe(2);
    const [line, usage] = missing.stderr.split("\n");
    expect(line).toBe(
      'mmbot init: --yes needs --token TOKEN (the bot\'s access token, written into the file) or --token-env (the token stays in MATTERMOST_BOT_TOKEN), --allowed-users LIST (usernames, comma-separated, or "*" for everybody)',
    );
    expect(usage).toBe("Usage: mmbot init [options]");

    const bad = await runCli(
      [
        "init",
        "--yes",
        "--url",
        "chat.example.com",
        "--token",
        "short",
        "--allowed-users",
        "alice",
      ],
      { cwd },
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n")[0]).toBe(
      'mmbot init: --url "chat.example.com": expected an http:// or https:// URL; --token "short": expected a 26-character token of lowercase letters and digits',
    );
    expect(existsSync(join(cwd, "mmbot.toml"))).toBe(false);
  });

  it("a failing check: the file is written, doctor says what to fix, exit 1", async () => {
    const cwd = tempDir();
    const result = await runCli(
      [
        "init",
        "--yes",
        "--url",
        sandbox.url,
        "--token",
        seed.bot.token,
        "--allowed-users",
        "ghost",
      ],
      { cwd },
    );
    expect(result.code).toBe(1);
    expect(existsSync(join(cwd, "mmbot.toml"))).toBe(true);
    expect(result.stdout).toMatch(/✗ allowed user ghost: no such user\n    fix: /);
    expect(result.stdout).toContain("fix what failed (edit mmbot.toml), then: mmbot doctor");
  });

  describe("answering its questions over a pipe", () => {
    it("asks for each value, asks again after a bad answer, writes the file and runs doctor", async () => {
      const cwd = tempDir();
      const answers = [
        "chat.example.com",
        sandbox.url,
        seed.bot.token,
        "maybe",
        "file",
        "alice,bob",
        "http://localhost:3998",
        "",
      ].join("\n");
      const result = await runCli(["init"], { cwd, input: answers });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      // a transcript: each question with its answer, the token hidden
      expect(result.stdout).toContain(
        "Mattermost server URL (e.g. https://chat.example.com): chat.example.com\n  expected an http:// or https:// URL\n",
      );
      expect(result.stdout).toContain(
        `Mattermost server URL (e.g. https://chat.example.com): ${sandbox.url}\n`,
      );
      expect(result.stdout).toContain(
        "Bot access token (System Console › Integrations › Bot Accounts): (hidden)\n",
      );
      expect(result.stdout).not.toContain(seed.bot.token);
      expect(result.stdout).toContain('(file/env) [env]: maybe\n  answer "file" or "env"\n');
      expect(result.stdout).toContain("all checks passed");
      const config = loadConfig({ path: join(cwd, "mmbot.toml"), env: {} });
      expect(config.mattermost.bot_token).toBe(seed.bot.token);
      expect(config.policy.allowed_users).toEqual(["alice", "bob"]);
      expect(config.http?.public_url).toBe("http://localhost:3998");
      expect(mode(join(cwd, "mmbot.toml"))).toBe(0o600);
    });

    it("takes what the flags give and asks only for the rest; Enter keeps the token in the environment", async () => {
      const cwd = tempDir();
      const result = await runCli(["init", "--url", sandbox.url], {
        cwd,
        input: `${seed.bot.token}\n\n*\n\n`,
      });
      expect(result.code).toBe(0);
      expect(result.stdout).not.toContain("Mattermost server URL");
      const text = readFileSync(join(cwd, "mmbot.toml"), "utf8");
      expect(text).not.toContain(seed.bot.token);
      expect(text).not.toContain("[http]");
      expect(result.stdout).toContain("✓ the token is valid: bot account @todobot");
    });

    it("input that ends before the last answer: says so, writes nothing, exit 1", async () => {
      const cwd = tempDir();
      const result = await runCli(["init"], { cwd, input: `${sandbox.url}\n` });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /^mmbot: the input ended before an answer to "Bot access token .*" \(without questions: mmbot init --yes/,
      );
      expect(existsSync(join(cwd, "mmbot.toml"))).toBe(false);
    });
  });
});
