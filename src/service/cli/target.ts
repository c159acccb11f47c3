/**
 * Which server a command talks to: the configured one, else the sandbox a running `mmbot start`
 * recorded in its discovery file, beside the sandbox's world file (`sandbox.data`): one per data
 * location, so two sandboxes with different data never read or replace each other's.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, extname, join, basename } from "node:path";
import { loadConfig, type Config } from "../config.js";
import type { DoctorTarget } from "../doctor-checks.js";
import { sandboxDataFile } from "../embedded-sandbox.js";

/** Where `mmbot start` records its sandbox, so `chat` and `doctor` find it: data/sandbox.db → data/sandbox.json. */
export function sandboxRecordFile(config: Config, cwd = process.cwd()): string {
  const data = sandboxDataFile(config, cwd);
  const ext = extname(data);
  const name = ext === ".json" ? `${basename(data)}.json` : `${basename(data, ext)}.json`;
  return join(dirname(data), name);
}

export interface SandboxRecord {
  url: string;
  bot_token: string;
  pid: number;
}

function readRecord(file: string): SandboxRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as SandboxRecord;
  } catch {
    return undefined;
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Records this process's sandbox in `file`; false (and nothing written) when the file is another
 * running process's. Written whole (a temporary file renamed), so a reader never sees half of it.
 */
export function writeSandboxRecord(file: string, record: SandboxRecord): boolean {
  const existing = readRecord(file);
  if (existing && existing.pid !== record.pid && running(existing.pid)) return false;
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(record, null, 2), { mode: 0o600 });
  renameSync(temporary, file);
  return true;
}

/** Removes `file` if it is this process's record (never another's). */
export function removeSandboxRecord(file: string, pid = process.pid): void {
  if (readRecord(file)?.pid === pid) rmSync(file, { force: true });
}

/** The sandbox recorded for this configuration's data location, if its process still runs. */
export function readSandboxRecord(config: Config): SandboxRecord | undefined {
  const record = readRecord(sandboxRecordFile(config));
  return record && typeof record.pid === "number" && running(record.pid) ? record : undefined;
}

export function doctorTarget(config: Config): (DoctorTarget & { sandbox?: boolean }) | undefined {
  if (config.mattermost.url && config.mattermost.bot_token) {
    return {
      url: config.mattermost.url,
      token: config.mattermost.bot_token,
      origin: "configured server",
    };
  }
  const record = readSandboxRecord(config);
  return record
    ? {
        url: record.url,
        token: record.bot_token,
        origin: `the sandbox started by mmbot start (${sandboxRecordFile(config)})`,
        sandbox: true,
      }
    : undefined;
}

/** The configuration a command was pointed at: `--config`, else `mmbot.toml` if present, and the environment. */
export function loadCommandConfig(path: string | undefined): Config {
  return loadConfig({ path: path ?? "mmbot.toml", explicitPath: path !== undefined });
}

/** Every command that needs a server says the same when there is none. */
export const NO_SERVER =
  "no Mattermost server configured and no sandbox running: set MATTERMOST_URL and MATTERMOST_BOT_TOKEN, or start one with npm start";
