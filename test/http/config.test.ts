import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/service/config.js";

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "mmbot-config-")), "mmbot.toml");
  writeFileSync(path, content);
  return path;
}

describe("configuration of the HTTP receiver", () => {
  it("is off unless the [http] section or an MMBOT_HTTP_* variable is given", () => {
    expect(loadConfig({ path: "/nonexistent/mmbot.toml", env: {} }).http).toBeUndefined();
    const fromEnv = loadConfig({
      path: "/nonexistent/mmbot.toml",
      env: { MMBOT_HTTP_SLASH_TOKENS: "aaa, bbb" },
    }).http;
    expect(fromEnv).toEqual({
      listen: "127.0.0.1:3000",
      outgoing_webhook_tokens: [],
      slash_tokens: ["aaa", "bbb"],
      answer_within_ms: 2500,
      trigger_words: [],
      slash_commands: [],
      outgoing_webhooks: [],
    });
  });

  it("reads the section, and names a bad key with an example", () => {
    const config = loadConfig({
      path: file(
        `[http]\nlisten = "0.0.0.0:8080"\npublic_url = "https://bot.example.com"\naction_secret = "0123456789abcdef0123"\n`,
      ),
      env: {},
    });
    expect(config.http).toMatchObject({
      listen: "0.0.0.0:8080",
      public_url: "https://bot.example.com",
      action_secret: "0123456789abcdef0123",
    });
    expect(() => loadConfig({ path: file(`[http]\naction_secret = "short"\n`), env: {} })).toThrow(
      /http\.action_secret = "short": expected at least 16 characters.*\n.*example: action_secret = /,
    );
    expect(() => loadConfig({ path: file(`[http]\nlisten = "3000"\n`), env: {} })).toThrow(
      /http\.listen = "3000": expected host:port/,
    );
  });
});
