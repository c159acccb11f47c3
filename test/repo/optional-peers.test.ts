/**
 * pg and prom-client are optional peer dependencies: a user who installs mmbot without them runs
 * a SQLite bot without metrics, and one who configures what needs them is told which package to
 * install. The install is real: the built package (dist, package.json) in a directory of its own
 * whose node_modules holds the package's dependencies and neither peer, and `mmbot start` (a real
 * child process) against a sandbox.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

let sandbox: Sandbox;
let seed: SeedResult;
let installed: string;

/** The built package as npm would install it, with its dependencies only (no peers, no dev). */
function installWithoutPeers(): string {
  const dir = mkdtempSync(join(tmpdir(), "mmbot-peers-"));
  const pkg = join(dir, "node_modules", "mmbot");
  cpSync(join(ROOT, "dist"), join(pkg, "dist"), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(pkg, "package.json"));
  const { dependencies } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  for (const name of Object.keys(dependencies)) {
    const link = join(dir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    // its real path is the repository's node_modules, where its own dependencies are found
    symlinkSync(join(ROOT, "node_modules", name), link);
  }
  return join(pkg, "dist", "service", "cli", "main.js");
}

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  installed = installWithoutPeers();
});
afterAll(() => sandbox.close());

function env(extra: Record<string, string>): Record<string, string> {
  return {
    MATTERMOST_URL: sandbox.url,
    MATTERMOST_BOT_TOKEN: seed.bot.token,
    MMBOT_POLICY_ALLOWED_USERS: "*",
    ...extra,
  };
}

/** `mmbot start` of the installed package until it says it is connected, then stopped. */
function startsAndConnects(extra: Record<string, string>): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), "mmbot-peers-run-"));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [installed, "start"], {
      cwd,
      env: { PATH: process.env.PATH, MMBOT_LOG_LEVEL: "info", ...env(extra) },
    });
    let output = "";
    const seen = (d: Buffer) => {
      output += d.toString();
      if (output.includes("connected")) child.kill("SIGTERM");
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", seen);
    child.on("exit", () =>
      output.includes("connected") ? resolve(output) : reject(new Error(output)),
    );
  });
}

/** `mmbot start` of the installed package, run to its end. */
function run(extra: Record<string, string>) {
  const cwd = mkdtempSync(join(tmpdir(), "mmbot-peers-run-"));
  return new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [installed, "start"], {
      cwd,
      env: { PATH: process.env.PATH, MMBOT_LOG_LEVEL: "warn", ...env(extra) },
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("mmbot installed without its optional peers (pg, prom-client)", () => {
  it("runs a bot on SQLite without metrics", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmbot-peers-db-"));
    await expect(
      startsAndConnects({ DATABASE_URL: `sqlite:${join(dir, "bot.db")}` }),
    ).resolves.toContain("connected");
  });

  it("names pg and how to install it when the store is PostgreSQL", async () => {
    const result = await run({ DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "a PostgreSQL store (postgres:// URL) needs the package pg, which is not installed: run npm install pg",
    );
  });

  it("names prom-client and how to install it when metrics are served", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmbot-peers-db-"));
    const result = await run({
      DATABASE_URL: `sqlite:${join(dir, "bot.db")}`,
      MMBOT_METRICS_LISTEN: "127.0.0.1:0",
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "needs the package prom-client, which is not installed: run npm install prom-client",
    );
  });
});
