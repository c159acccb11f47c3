/**
 * `mmbot start` as a user runs it, in a child process (dist/service/cli/main.js, built by `npm test`),
 * pointed at any server address: the sandbox itself, or a fault proxy in front of it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "./cli.js";

export interface BotProcess {
  child: ChildProcess;
  /** Every line it printed so far (stdout and stderr, log lines included), with when it came. */
  lines: { text: string; at: number }[];
  /** The lines it printed so far, as one text. */
  output(): string;
  /** Resolves once it printed a line matching `pattern` (after the first `from` lines); rejects after `timeoutMs` or if it exits. */
  waitForLine(pattern: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface BotProcessOptions {
  url: string;
  token: string;
  /** Default: a fresh SQLite file. */
  store?: string;
  /** Extra environment (MMBOT_* keys, `MMBOT_LOG_LEVEL`…). */
  env?: Record<string, string>;
  cwd?: string;
}

const running = new Set<ChildProcess>();
/** SIGKILLs every bot process still running (call in afterEach). */
export function killBotProcesses(): void {
  for (const child of running) child.kill("SIGKILL");
}

export function freshStore(): string {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-proc-")), "bot.db")}`;
}

export function startBotProcess(options: BotProcessOptions): BotProcess {
  const child = spawn(process.execPath, [CLI, "start"], {
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), "mmbot-cwd-")),
    env: {
      PATH: process.env.PATH,
      MATTERMOST_URL: options.url,
      MATTERMOST_BOT_TOKEN: options.token,
      DATABASE_URL: options.store ?? freshStore(),
      MMBOT_POLICY_ALLOWED_USERS: "*",
      MMBOT_LOG_LEVEL: "info",
      MMBOT_LOG_FORMAT: "json",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const lines: { text: string; at: number }[] = [];
  const waiters = new Set<() => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = "";
    stream.on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop()!;
      for (const text of parts) lines.push({ text, at: Date.now() });
      for (const wake of waiters) wake();
    });
  }
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      running.delete(child);
      exitCode = code;
      for (const wake of waiters) wake();
      resolve(code);
    }),
  );
  const output = () => lines.map((l) => l.text).join("\n");
  return {
    child,
    lines,
    output,
    exited,
    waitForLine(pattern, timeoutMs = 15_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.slice(from).find((l) => pattern.test(l.text));
          if (hit) return done(() => resolve(hit.text));
          if (exitCode !== undefined)
            return done(() =>
              reject(
                new Error(
                  `mmbot start exited (${exitCode}) before printing ${pattern}:\n${output().slice(-3000)}`,
                ),
              ),
            );
        };
        const timer = setTimeout(
          () =>
            done(() =>
              reject(
                new Error(
                  `mmbot start never printed ${pattern} within ${timeoutMs} ms:\n${output().slice(-3000)}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async kill(signal = "SIGKILL") {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}
