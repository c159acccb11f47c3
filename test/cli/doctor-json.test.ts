// `mmbot doctor --json` as CI or monitoring runs it: a child process against the sandbox, one
// JSON document on stdout whatever happens, exit code 1 when a check failed.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DoctorReport } from "../../src/service/cli/doctor.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { openServiceStore } from "../../src/service/service-store.js";
import { runCli } from "../helpers/cli.js";

const tempDir = () => mkdtempSync(join(tmpdir(), "mmbot-doctor-json-"));

async function doctorJson(
  env: Record<string, string>,
  extra: string[] = [],
  cwd = tempDir(),
): Promise<{ code: number | null; report: DoctorReport; stderr: string }> {
  const result = await runCli(["doctor", "--json", ...extra], { cwd, env });
  return {
    code: result.code,
    report: JSON.parse(result.stdout) as DoctorReport,
    stderr: result.stderr,
  };
}

describe("mmbot doctor --json", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  let storeUrl: string;
  beforeAll(async () => {
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
    storeUrl = `sqlite:${join(tempDir(), "bot.db")}`;
    await (await openServiceStore(storeUrl)).close(); // migrated, as mmbot start leaves it
  });
  afterAll(() => sandbox.close());
  const env = (extra: Record<string, string>) => ({
    MATTERMOST_URL: sandbox.url,
    MATTERMOST_BOT_TOKEN: seed.bot.token,
    DATABASE_URL: storeUrl,
    ...extra,
  });

  it("passes a good configuration: every check with its name, status, message and fix", async () => {
    const { code, report, stderr } = await doctorJson(
      env({ MMBOT_POLICY_CHANNELS: "town-square,ops", MMBOT_POLICY_ALLOWED_USERS: "alice" }),
    );
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.server).toEqual({ url: sandbox.url, origin: "configured server" });
    expect(report.checks.map((c) => c.name)).toEqual([
      "server",
      "token",
      "server-version",
      "ephemeral-posts",
      "channel:town-square",
      "channel:ops",
      "allowed-user:alice",
      "websocket",
      "store",
    ]);
    for (const check of report.checks)
      expect(Object.keys(check)).toEqual(["name", "status", "message", "fix"]);
    expect(report.checks.find((c) => c.name === "token")).toEqual({
      name: "token",
      status: "ok",
      message: "the token is valid: bot account @todobot; it does not expire",
      fix: null,
    });
    // the sandbox's bot is not a System Admin: a warning, which does not fail the run
    expect(report.checks.find((c) => c.name === "ephemeral-posts")).toMatchObject({
      status: "warn",
      fix: expect.stringContaining("System Admin role"),
    });
  });

  it("fails with each problem's status and fix, and exits 1", async () => {
    const { code, report } = await doctorJson(
      env({ MMBOT_POLICY_CHANNELS: "nowhere", MMBOT_POLICY_ALLOWED_USERS: "alice,ghost" }),
    );
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    expect(report.checks.filter((c) => c.status === "fail").map((c) => c.name)).toEqual([
      "channel:nowhere",
      "allowed-user:ghost",
    ]);
    expect(report.checks.find((c) => c.name === "allowed-user:ghost")).toEqual({
      name: "allowed-user:ghost",
      status: "fail",
      message: "allowed user ghost: no such user",
      fix: "fix the spelling in policy.allowed_users (usernames without @, or user ids)",
    });
  });

  it("shows when the token expires, as the server gives it (Mattermost 11.9+), and warns a week ahead", async () => {
    const day = 24 * 3_600_000;
    // bots of their own: the server tells a token's expiry only through its session, and does
    // not say which session is the caller's, so a bot with one token in use
    const later = Date.now() + 30 * day;
    const far = sandbox.createBot({ username: "expires-later" });
    const farReport = await doctorJson(
      env({ MATTERMOST_BOT_TOKEN: sandbox.createAccessToken(far.user.id, { expires_at: later }) }),
    );
    expect(farReport.report.checks.find((c) => c.name === "token")).toEqual({
      name: "token",
      status: "ok",
      message: `the token is valid: bot account @expires-later; it expires ${new Date(later).toISOString().replace(/\.\d+Z$/, "Z")} (in 30 days)`,
      fix: null,
    });

    const soon = sandbox.createBot({ username: "expires-soon" });
    const soonReport = await doctorJson(
      env({
        MATTERMOST_BOT_TOKEN: sandbox.createAccessToken(soon.user.id, {
          expires_at: Date.now() + 2 * day,
        }),
      }),
    );
    expect(soonReport.report.checks.find((c) => c.name === "token")).toMatchObject({
      status: "warn",
      message: expect.stringMatching(
        /^the token is valid: bot account @expires-soon, but it expires .* \(in 2 days\)$/,
      ),
      fix: expect.stringContaining("create a new token for the bot"),
    });

    // a second token of the first bot in use, with another expiry: which one is this, the server does not say
    await doctorJson(env({ MATTERMOST_BOT_TOKEN: sandbox.createAccessToken(far.user.id) }));
    const both = await doctorJson(
      env({ MATTERMOST_BOT_TOKEN: sandbox.createAccessToken(far.user.id, { expires_at: later }) }),
    );
    expect(both.report.checks.find((c) => c.name === "token")?.message).toBe(
      "the token is valid: bot account @expires-later; when it expires is not known: the bot has 3 tokens in use with different expiries, and the server does not say which one this is",
    );
  });

  it("a token past its expiry is refused, and said so", async () => {
    const token = sandbox.createAccessToken(seed.bot.user.id, { expires_at: Date.now() + 300 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const { code, report } = await doctorJson(
      env({ MATTERMOST_BOT_TOKEN: token, MMBOT_POLICY_ALLOWED_USERS: "*" }),
    );
    expect(code).toBe(1);
    expect(report.checks.find((c) => c.name === "token")).toMatchObject({
      status: "fail",
      message:
        "the token was refused (expired or revoked?): 401 api.context.session_expired.app_error",
      fix: expect.stringContaining("past their expiry"),
    });
  });

  it("a refused token: the checks that need it are not run", async () => {
    const { code, report } = await doctorJson(
      env({ MATTERMOST_BOT_TOKEN: "abcdefghijklmnopqrstuvwxyz", MMBOT_POLICY_ALLOWED_USERS: "*" }),
    );
    expect(code).toBe(1);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ["server", "ok"],
      ["token", "fail"],
      ["store", "ok"],
    ]);
  });

  it("no server at all, or a configuration that does not load: still one JSON document", async () => {
    const none = await doctorJson({ DATABASE_URL: storeUrl });
    expect(none.code).toBe(1);
    expect(none.report).toMatchObject({
      ok: false,
      server: null,
      checks: [{ name: "server", status: "fail", fix: expect.stringContaining("MATTERMOST_URL") }],
    });

    const cwd = tempDir();
    writeFileSync(join(cwd, "mmbot.toml"), '[policy]\nmention_only = "maybe"\n');
    const bad = await doctorJson(env({}), [], cwd);
    expect(bad.code).toBe(1);
    expect(bad.report).toMatchObject({
      ok: false,
      server: null,
      checks: [
        {
          name: "config",
          status: "fail",
          message: expect.stringContaining('policy.mention_only = "maybe"'),
        },
      ],
    });
  });
});

describe("mmbot doctor --json: the server's version and what works there", () => {
  it.each([
    [
      "5.37",
      "Mattermost 5.37.0 (build sandbox); works here: long-answers: split and streamed at 16383 characters a post",
    ],
    [
      "12.0",
      "Mattermost 12.0.0 (build sandbox); works here: long-answers: split and streamed at 16383 characters a post",
    ],
  ] as const)(
    "prints %s's version; a user's token on 12.0 is warned that its overrides will not show",
    async (version, line) => {
      const sandbox = await Sandbox.start({ version });
      try {
        const seed = sandbox.seed();
        const storeUrl = `sqlite:${join(tempDir(), "bot.db")}`;
        await (await openServiceStore(storeUrl)).close();
        const env = (token: string) => ({
          MATTERMOST_URL: sandbox.url,
          MATTERMOST_BOT_TOKEN: token,
          DATABASE_URL: storeUrl,
        });
        const asBot = await doctorJson(env(seed.bot.token));
        const check = asBot.report.checks.find((c) => c.name === "server-version");
        expect(check).toMatchObject({ status: "ok", message: expect.stringContaining(line) });
        expect(check?.message).toContain(
          version === "5.37" ? "tokens do not expire on this version" : "tokens can expire (11.9+)",
        );
        expect(asBot.report.checks.filter((c) => c.name.startsWith("feature:"))).toEqual([]);

        const asPerson = await doctorJson(env(seed.users.alice.token));
        const features = asPerson.report.checks.filter((c) => c.name.startsWith("feature:"));
        expect(features.map((c) => [c.name, c.status])).toEqual(
          version === "12.0"
            ? [
                ["feature:override_username", "warn"],
                ["feature:override_icon_url", "warn"],
              ]
            : [],
        );
        if (version === "12.0")
          expect(features[0]?.message).toBe(
            "override_username does not work on Mattermost 12.0.0: Mattermost 12.0.0 ignores it on posts made with a personal access token (use a bot account's token)",
          );
      } finally {
        await sandbox.close();
      }
    },
  );
});
