import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/service/config.js";
import { sandboxDataFile } from "../src/service/embedded-sandbox.js";
import { ConfigError } from "../src/errors.js";

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "mmbot-config-")), "mmbot.toml");
  writeFileSync(path, content);
  return path;
}

describe("configuration", () => {
  it("has working defaults with no file and no environment", () => {
    const config = loadConfig({ path: "/nonexistent/mmbot.toml", env: {} });
    expect(config.mattermost.url).toBeUndefined();
    expect(config.store.url).toBe("sqlite:./data/mmbot.db");
    expect(config.policy).toEqual({
      channels: [],
      mention_only: false,
      thread_replies: true,
      ignore_bots: true,
    });
    expect(config.sandbox.port).toBe(8075); // not 8065, Mattermost's own
  });

  it("keeps the sandbox beside the bot's SQLite store unless sandbox.data says where; sandbox.fresh starts it empty", () => {
    const cwd = "/srv/bot";
    expect(sandboxDataFile(loadConfig({ path: "/nonexistent/mmbot.toml", env: {} }), cwd)).toBe(
      "data/sandbox.db",
    );
    expect(
      sandboxDataFile(
        loadConfig({
          path: "/nonexistent/mmbot.toml",
          env: { DATABASE_URL: "sqlite:state/bot.db" },
        }),
        cwd,
      ),
    ).toBe("state/sandbox.db");
    expect(
      sandboxDataFile(
        loadConfig({ path: "/nonexistent/mmbot.toml", env: { DATABASE_URL: "postgres://u@h/db" } }),
        cwd,
      ),
    ).toBe("data/sandbox.db");
    const config = loadConfig({
      path: "/nonexistent/mmbot.toml",
      env: { MMBOT_SANDBOX_DATA: "world.db", MMBOT_SANDBOX_FRESH: "1" },
    });
    expect(sandboxDataFile(config, cwd)).toBe("world.db");
    expect(config.sandbox.fresh).toBe(true);
    expect(loadConfig({ path: file("[sandbox]\nfresh = false\n"), env: {} }).sandbox.fresh).toBe(
      false,
    );
  });

  it("reads the file and strips a trailing slash from the URL", () => {
    const path = file(
      `[mattermost]\nurl = "https://chat.example.com/"\nbot_token = "abcdefghijklmnopqrstuvwxyz"\n[policy]\nallowed_users = ["alice", "bob"]\nmention_only = true\n`,
    );
    const config = loadConfig({ path, env: {} });
    expect(config.mattermost.url).toBe("https://chat.example.com");
    expect(config.policy.allowed_users).toEqual(["alice", "bob"]);
    expect(config.policy.mention_only).toBe(true);
  });

  it("lets the environment override every key", () => {
    const config = loadConfig({
      path: "/nonexistent/mmbot.toml",
      env: {
        MATTERMOST_URL: "http://localhost:8065",
        MATTERMOST_BOT_TOKEN: "abcdefghijklmnopqrstuvwxyz",
        DATABASE_URL: "postgres://u@h/db",
        MMBOT_POLICY_ALLOWED_USERS: "alice, bob",
        MMBOT_POLICY_THREAD_REPLIES: "false",
        MMBOT_POLICY_CHANNELS: "ops",
      },
    });
    expect(config.mattermost.url).toBe("http://localhost:8065");
    expect(config.store.url).toBe("postgres://u@h/db");
    expect(config.policy.allowed_users).toEqual(["alice", "bob"]);
    expect(config.policy.thread_replies).toBe(false);
    expect(config.policy.channels).toEqual(["ops"]);
    expect(
      loadConfig({ path: "/x", env: { MMBOT_POLICY_ALLOWED_USERS: "*" } }).policy.allowed_users,
    ).toBe("*");
  });

  it("fails fast naming the key, the value, what was expected and an example", () => {
    const path = file(`[policy]\nmention_only = "yes"\n`);
    expect(() => loadConfig({ path, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ path, env: {} })).toThrow(
      /policy\.mention_only = "yes".*\n.*example: mention_only = true/,
    );
  });

  it("takes sandbox.version from the file or MMBOT_SANDBOX_VERSION (default 12.0) and refuses one the sandbox does not play, naming the key", () => {
    expect(loadConfig({ env: {} }).sandbox.version).toBe("12.0");
    expect(
      loadConfig({ path: file(`[sandbox]\nversion = "5.37"\n`), env: {} }).sandbox.version,
    ).toBe("5.37");
    expect(loadConfig({ env: { MMBOT_SANDBOX_VERSION: "11.10" } }).sandbox.version).toBe("11.10");
    expect(() => loadConfig({ env: { MMBOT_SANDBOX_VERSION: "9.0" } })).toThrow(
      /sandbox\.version[\s\S]*version = "10\.11"/,
    );
  });

  it("takes the rate budget from the file or the environment (0 = off) and refuses a negative or non-numeric one, naming the key", () => {
    expect(loadConfig({ path: "/x", env: {} }).mattermost.max_requests_per_second).toBe(8);
    expect(
      loadConfig({ path: file("[mattermost]\nmax_requests_per_second = 0\n"), env: {} }).mattermost
        .max_requests_per_second,
    ).toBe(0);
    expect(
      loadConfig({ path: "/x", env: { MATTERMOST_MAX_REQUESTS_PER_SECOND: "4.5" } }).mattermost
        .max_requests_per_second,
    ).toBe(4.5);
    expect(() =>
      loadConfig({ path: file("[mattermost]\nmax_requests_per_second = -1\n"), env: {} }),
    ).toThrow(
      /mattermost\.max_requests_per_second = -1: expected a number ≥ 0 \(0 = no budget\)[\s\S]*example: max_requests_per_second = 4\.5/,
    );
    expect(() =>
      loadConfig({ path: "/x", env: { MATTERMOST_MAX_REQUESTS_PER_SECOND: "fast" } }),
    ).toThrow(/mattermost\.max_requests_per_second = "fast"/);
  });

  it("takes the claim lease from the file or the environment (default 10 s) and refuses one too short, naming the key, its variable and an example", () => {
    expect(loadConfig({ path: "/x", env: {} }).store.claim_lease_ms).toBe(10_000);
    expect(
      loadConfig({ path: file("[store]\nclaim_lease_ms = 20000\n"), env: {} }).store.claim_lease_ms,
    ).toBe(20_000);
    expect(
      loadConfig({ path: "/x", env: { MMBOT_STORE_CLAIM_LEASE_MS: "5000" } }).store.claim_lease_ms,
    ).toBe(5_000);
    expect(() => loadConfig({ path: "/x", env: { MMBOT_STORE_CLAIM_LEASE_MS: "100" } })).toThrow(
      /environment variable MMBOT_STORE_CLAIM_LEASE_MS: store\.claim_lease_ms = "100": expected at least 1000 [\s\S]*example: claim_lease_ms = 10000/,
    );
  });

  it("names an unknown key", () => {
    const path = file(`[policy]\nmention_onyl = true\n`);
    expect(() => loadConfig({ path, env: {} })).toThrow(/unknown key policy\.mention_onyl/);
  });

  it("rejects a URL without a token, and a malformed token", () => {
    expect(() => loadConfig({ path: "/x", env: { MATTERMOST_URL: "http://h" } })).toThrow(
      /mattermost\.bot_token .*missing/,
    );
    expect(() =>
      loadConfig({
        path: "/x",
        env: { MATTERMOST_URL: "http://h", MATTERMOST_BOT_TOKEN: "short" },
      }),
    ).toThrow(/mattermost\.bot_token = "short": expected a 26-character token/);
    expect(() =>
      loadConfig({
        path: "/x",
        env: { MATTERMOST_URL: "ftp://h", MATTERMOST_BOT_TOKEN: "abcdefghijklmnopqrstuvwxyz" },
      }),
    ).toThrow(/mattermost\.url = "ftp:\/\/h"/);
  });

  it("reports a file that is not TOML, and a missing --config file", () => {
    expect(() => loadConfig({ path: file(`[policy\n`), env: {} })).toThrow(/not valid TOML/);
    expect(() => loadConfig({ path: "/nonexistent.toml", explicitPath: true, env: {} })).toThrow(
      /no such file/,
    );
  });
});
