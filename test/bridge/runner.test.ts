import { chmodSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { childEnvironment } from "../../src/apps/bridge/program.js";
import { runProgram, type RunOptions } from "../../src/apps/bridge/runner.js";
import { isRunning, readWhenWritten, waitUntil } from "../helpers/processes.js";

const fixtures = join(import.meta.dirname, "../fixtures/bridge");
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mmbot-runner-"));
});

const run = (options: Partial<RunOptions> & Pick<RunOptions, "program" | "args">) =>
  runProgram({
    env: childEnvironment({}),
    timeoutMs: 10_000,
    killGraceMs: 200,
    maxOutputBytes: 65_536,
    ...options,
  });

describe("running a program", () => {
  it("passes the argument vector as is, with no shell in between", async () => {
    const args = [
      "; rm -rf /",
      `$(touch ${dir}/x)`,
      `\`touch ${dir}/y\``,
      "a|b",
      `> ${dir}/z`,
      "$HOME",
      "*",
    ];
    const result = await run({
      program: process.execPath,
      args: [join(fixtures, "print-args.mjs"), ...args],
      cwd: dir,
    });
    expect(result.outcome).toEqual({ kind: "exited", code: 0 });
    expect(JSON.parse(result.stdout.bytes.toString())).toEqual(args);
    for (const name of ["x", "y", "z"]) expect(existsSync(join(dir, name))).toBe(false);
  });

  it("reports a non-zero exit with its stderr", async () => {
    const result = await run({
      program: process.execPath,
      args: [join(fixtures, "todo-cli.mjs"), "done", "9"],
      env: childEnvironment({ TODO_FILE: join(dir, "t.json") }),
    });
    expect(result.outcome).toEqual({ kind: "exited", code: 1 });
    expect(result.stderr.bytes.toString()).toBe("todo: no item #9\n");
  });

  it("gives the child only PATH, HOME, LANG and the configured variables, in the configured directory", async () => {
    process.env.MMBOT_RUNNER_TEST_SECRET = "must not leak";
    const env = await run({
      program: "/usr/bin/env",
      args: [],
      env: childEnvironment({ GREETING: "hello" }),
    }).finally(() => delete process.env.MMBOT_RUNNER_TEST_SECRET);
    const names = env.stdout.bytes
      .toString()
      .trim()
      .split("\n")
      .map((line) => line.split("=")[0]);
    expect(names.sort()).toEqual(["GREETING", "HOME", "LANG", "PATH"]);
    const pwd = await run({ program: "/bin/sh", args: ["-c", "pwd"], cwd: dir });
    expect(pwd.stdout.bytes.toString().trim()).toBe(dir);
  });

  it("at the timeout kills the whole process group, grandchildren included", async () => {
    const pidFile = join(dir, "pid");
    const result = await run({
      program: "/bin/sh",
      args: [join(fixtures, "spawn-and-sleep.sh")],
      env: childEnvironment({ PID_FILE: pidFile }),
      timeoutMs: 500,
    });
    expect(result.outcome).toEqual({ kind: "timed-out" });
    const grandchild = Number(await readWhenWritten(pidFile));
    expect(result.stdout.bytes.toString()).toBe(`started ${grandchild}\n`); // output before the timeout is kept
    await waitUntil(() => !isRunning(grandchild), `the grandchild ${grandchild} is gone`);
  });

  it("kills with SIGKILL a group that ignores SIGTERM", async () => {
    const pidFile = join(dir, "pid");
    const script = `trap '' TERM; sleep 300 & echo $! > "$PID_FILE"; wait; wait; wait`;
    const result = await run({
      program: "/bin/sh",
      args: ["-c", script],
      env: childEnvironment({ PID_FILE: pidFile }),
      timeoutMs: 300,
    });
    expect(result.outcome).toEqual({ kind: "timed-out" });
    const grandchild = Number(await readWhenWritten(pidFile));
    await waitUntil(() => !isRunning(grandchild), `the grandchild ${grandchild} is gone`);
  });

  it("kills what a finished program left running in the background", async () => {
    const pidFile = join(dir, "pid");
    const result = await run({
      program: "/bin/sh",
      args: ["-c", `sleep 300 >/dev/null 2>&1 & echo $! > "$PID_FILE"`],
      env: childEnvironment({ PID_FILE: pidFile }),
    });
    expect(result.outcome).toEqual({ kind: "exited", code: 0 });
    const leftover = Number(await readWhenWritten(pidFile));
    await waitUntil(() => !isRunning(leftover), `the background process ${leftover} is gone`);
  });

  it("keeps at most maxOutputBytes of a stream and still lets the program finish", async () => {
    const result = await run({
      program: process.execPath,
      args: ["-e", "process.stdout.write('x'.repeat(500000)); process.stderr.write('done')"],
      maxOutputBytes: 1024,
    });
    expect(result.outcome).toEqual({ kind: "exited", code: 0 });
    expect(result.stdout.bytes.length).toBe(1024);
    expect(result.stdout.truncated).toBe(true);
    expect(result.stderr).toEqual({ bytes: Buffer.from("done"), truncated: false });
  });

  it("reports a program that is missing or not executable", async () => {
    const missing = await run({ program: join(dir, "nope"), args: [] });
    expect(missing.outcome).toMatchObject({ kind: "not-started", errorCode: "ENOENT" });
    const plain = join(dir, "plain.sh");
    writeFileSync(plain, "echo hi\n");
    chmodSync(plain, 0o644);
    expect((await run({ program: plain, args: [] })).outcome).toMatchObject({
      kind: "not-started",
      errorCode: "EACCES",
    });
    expect((await run({ program: "/bin/echo", args: ["a\0b"] })).outcome).toMatchObject({
      kind: "not-started",
      errorCode: "ERR_INVALID_ARG_VALUE",
    });
  });

  it("reports a program killed by a signal", async () => {
    const result = await run({ program: "/bin/sh", args: ["-c", "kill -KILL $$"] });
    expect(result.outcome).toEqual({ kind: "signalled", signal: "SIGKILL" });
  });
});
