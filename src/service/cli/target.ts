/**
 * Which server a command talks to: the configured one, else the sandbox a running `mmbot start`
 * recorded in `data/sandbox.json`.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { loadConfig, type Config } from "../config.js";
import type { DoctorTarget } from "../doctor-checks.js";

/** Where `mmbot start` records the embedded sandbox, so `chat` and `doctor` can find it. */
export const SANDBOX_FILE = "data/sandbox.json";

export interface SandboxRecord {
  url: string;
  bot_token: string;
  pid: number;
}

export function writeSandboxRecord(record: SandboxRecord): void {
  mkdirSync(dirname(SANDBOX_FILE), { recursive: true });
  writeFileSync(SANDBOX_FILE, JSON.stringify(record, null, 2), { mode: 0o600 });
}

export function readSandboxRecord(): SandboxRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(SANDBOX_FILE, "utf8")) as SandboxRecord;
    process.kill(record.pid, 0); // still running?
    return record;
  } catch {
    return undefined;
  }
}

export function doctorTarget(config: Config): (DoctorTarget & { sandbox?: boolean }) | undefined {
  if (config.mattermost.url && config.mattermost.bot_token) {
    return { url: config.mattermost.url, token: config.mattermost.bot_token, origin: "configured server" };
  }
  const record = readSandboxRecord();
  return record ? { url: record.url, token: record.bot_token, origin: `the sandbox started by mmbot start (${SANDBOX_FILE})`, sandbox: true } : undefined;
}

/** The configuration a command was pointed at: `--config`, else `mmbot.toml` if present, and the environment. */
export function loadCommandConfig(path: string | undefined): Config {
  return loadConfig({ path: path ?? "mmbot.toml", explicitPath: path !== undefined });
}

/** Every command that needs a server says the same when there is none. */
export const NO_SERVER = "no Mattermost server configured and no sandbox running: set MATTERMOST_URL and MATTERMOST_BOT_TOKEN, or start one with npm start";
