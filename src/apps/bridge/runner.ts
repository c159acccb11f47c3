import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable } from "node:stream";

export interface RunOptions {
  /** An absolute path (see resolveProgram). */
  program: string;
  args: string[];
  cwd?: string;
  /** The child's whole environment. */
  env: Record<string, string>;
  timeoutMs: number;
  /** After SIGTERM, how long the process group has before SIGKILL. */
  killGraceMs?: number;
  /** Per stream; the rest is read and dropped, so the child never blocks on a full pipe. */
  maxOutputBytes: number;
}

export interface CapturedOutput {
  bytes: Buffer;
  /** More was written than `maxOutputBytes`. */
  truncated: boolean;
}

export type RunOutcome =
  | { kind: "exited"; code: number }
  | { kind: "signalled"; signal: NodeJS.Signals }
  /** Ran past the timeout; its process group was killed. */
  | { kind: "timed-out" }
  /** The program could not be started: ENOENT (not found), EACCES (not executable), … */
  | { kind: "not-started"; errorCode: string; message: string };

export interface RunResult {
  outcome: RunOutcome;
  stdout: CapturedOutput;
  stderr: CapturedOutput;
  durationMs: number;
}

/**
 * Runs a program with an argument vector — never through a shell — as the leader of its own
 * process group, so that a timeout kills everything it started (SIGTERM, then SIGKILL after a
 * grace period). When it finishes, whatever it left running in its group is killed too.
 * Never rejects: every failure is an outcome.
 * @example await runProgram({ program: "/usr/bin/env", args: [], env: { PATH: "/usr/bin" }, timeoutMs: 5000, maxOutputBytes: 65536 })
 */
export function runProgram(options: RunOptions): Promise<RunResult> {
  const startedAt = performance.now();
  const killGraceMs = options.killGraceMs ?? 2_000;
  return new Promise((resolve) => {
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(options.program, options.args, {
        shell: false,
        detached: true, // its own process group (and session): kill(-pid) reaches its children
        cwd: options.cwd,
        env: options.env,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      // invalid arguments (a NUL byte) throw here rather than emit "error"
      const code = (error as NodeJS.ErrnoException).code ?? "UNKNOWN";
      const empty = { bytes: Buffer.alloc(0), truncated: false };
      resolve({
        outcome: { kind: "not-started", errorCode: code, message: String(error) },
        stdout: empty,
        stderr: empty,
        durationMs: 0,
      });
      return;
    }
    const stdout = capture(child.stdout, options.maxOutputBytes);
    const stderr = capture(child.stderr, options.maxOutputBytes);
    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (outcome: RunOutcome) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      if (child.pid !== undefined) killGroup(child.pid, "SIGKILL"); // leftovers: background jobs that closed their output
      resolve({
        outcome,
        stdout: stdout.result(),
        stderr: stderr.result(),
        durationMs: Math.round(performance.now() - startedAt),
      });
    };

    child.on("error", (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined)
        finish({ kind: "not-started", errorCode: error.code ?? "UNKNOWN", message: error.message });
    });
    child.once("close", (code, signal) => {
      if (timedOut) finish({ kind: "timed-out" });
      else if (signal) finish({ kind: "signalled", signal });
      else finish({ kind: "exited", code: code ?? 0 });
    });

    timers.push(
      setTimeout(() => {
        if (child.pid === undefined) return;
        timedOut = true;
        killGroup(child.pid, "SIGTERM");
        timers.push(
          setTimeout(() => {
            killGroup(child.pid!, "SIGKILL");
            // a process that left the group may still hold our pipes: stop waiting for it
            timers.push(
              setTimeout(
                () => (
                  child.stdout.destroy(), child.stderr.destroy(), finish({ kind: "timed-out" })
                ),
                killGraceMs,
              ),
            );
          }, killGraceMs),
        );
      }, options.timeoutMs),
    );
  });
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

function capture(stream: Readable, limit: number): { result(): CapturedOutput } {
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  stream.on("data", (chunk: Buffer) => {
    if (kept >= limit) {
      truncated = true;
      return;
    }
    const part = chunk.length > limit - kept ? chunk.subarray(0, limit - kept) : chunk;
    truncated ||= part.length < chunk.length;
    chunks.push(part);
    kept += part.length;
  });
  return { result: () => ({ bytes: Buffer.concat(chunks), truncated }) };
}
