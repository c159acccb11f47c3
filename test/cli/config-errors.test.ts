// A configuration mistake as `mmbot start` (a real child process) reports it: where the value
// came from (the file's line or the environment variable), what type was expected, and the key or
// section that was most likely meant.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

async function startWith(toml: string | undefined, env: Record<string, string> = {}) {
  const cwd = mkdtempSync(join(tmpdir(), "mmbot-config-"));
  if (toml !== undefined) writeFileSync(join(cwd, "mmbot.toml"), toml);
  const result = await runCli(["start"], { cwd, env });
  expect(result.code).toBe(1);
  return result.stderr;
}

describe("configuration errors", () => {
  it("name the expected type and the file's line, never a bare Invalid input", async () => {
    const stderr = await startWith(
      '[policy]\nchannels = ["town-square"]\nmention_only = "maybe"\n',
    );
    expect(stderr).toContain(
      'mmbot.toml:3: policy.mention_only = "maybe": expected a boolean: true or false',
    );
    expect(stderr).not.toContain("Invalid input");
    expect(await startWith("[policy]\nallowed_users = 5\n")).toContain(
      'mmbot.toml:2: policy.allowed_users = 5: expected "*" (everybody) or a list of usernames',
    );
    expect(await startWith('[sandbox]\nport = "x"\n')).toContain(
      'mmbot.toml:2: sandbox.port = "x": expected a number',
    );
  });

  it("blame the environment variable, not the file, for a value that came from it", async () => {
    const stderr = await startWith("[policy]\nmention_only = true\n", {
      MMBOT_POLICY_MENTION_ONLY: "maybe",
    });
    expect(stderr).toContain(
      'environment variable MMBOT_POLICY_MENTION_ONLY: policy.mention_only = "maybe": expected a boolean',
    );
    expect(stderr).not.toContain("mmbot.toml");
  });

  it("suggest the key or section that was meant", async () => {
    expect(await startWith("[policy]\nmention_onyl = true\n")).toContain(
      "mmbot.toml:2: unknown key policy.mention_onyl in [policy]; did you mean mention_only?",
    );
    expect(await startWith('# the agent\n[agnet]\nurl = "http://127.0.0.1:8080/v1"\n')).toContain(
      "mmbot.toml:2: unknown section agnet in top level; did you mean [agent]?",
    );
    expect(await startWith('bot_token = "abc"\n[policy]\n')).toContain(
      "mmbot.toml:1: unknown key bot_token in top level; did you mean mattermost.bot_token (under [mattermost])?",
    );
  });
});
