// `mmbot start`'s sandbox as a user meets it (real child processes): a port that is not
// Mattermost's, a busy port that does not stop it, `--port`, and one discovery file per sandbox
// data location that no other run replaces or deletes; `mmbot chat --url --token` with an
// unrelated mmbot.toml in the directory.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Sandbox } from "../../src/sandbox/index.js";
import { CLI, runCli, until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";

interface Running {
  url: string;
  stdout: () => string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const listeners: Server[] = [];
afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
  for (const server of listeners.splice(0)) server.close();
});

const tempDir = () => mkdtempSync(join(tmpdir(), "mmbot-port-"));

async function startCli(
  cwd: string,
  args: string[],
  env: Record<string, string>,
): Promise<Running> {
  const child = spawn(process.execPath, [CLI, "start", ...args], {
    cwd,
    env: { PATH: process.env.PATH, MMBOT_LOG_LEVEL: "warn", ...env },
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => (children.delete(child), resolve(code))),
  );
  const url = await until(
    () => /sandbox Mattermost running at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1],
    `the sandbox line (stdout: ${stdout} stderr: ${stderr})`,
    20_000,
  );
  await until(
    () => (stdout.includes("@todobot connected to") ? true : undefined),
    "the connected line",
    20_000,
  );
  return { url, stdout: () => stdout, child, exited };
}

const stop = async (run: Running) => {
  run.child.kill("SIGTERM");
  expect(await run.exited).toBe(0);
};

/** Holds `port` on 127.0.0.1 (if somebody else already does, it is taken all the same). */
async function occupy(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      error.code === "EADDRINUSE" ? resolve() : reject(error),
    );
    server.listen(port, "127.0.0.1", () => (listeners.push(server), resolve()));
  });
}

const ping = async (url: string) => (await fetch(`${url}/api/v4/system/ping`)).status;

describe("the sandbox's port", () => {
  it("defaults to 8075, not Mattermost's 8065; when 8075 is taken it says so and starts on a free port", async () => {
    await occupy(8075);
    const run = await startCli(tempDir(), [], {});
    expect(run.stdout()).toContain("sandbox.port 8075 is in use");
    expect(run.stdout()).toContain("mmbot start --port <port>");
    const port = Number(new URL(run.url).port);
    expect(port).not.toBe(8075);
    expect(port).not.toBe(8065);
    expect(run.stdout()).toContain(`the sandbox runs on port ${port} instead`);
    expect(await ping(run.url)).toBe(200);
    await stop(run);
  });

  it("plays the Mattermost version sandbox.version says (MMBOT_SANDBOX_VERSION), the newest (12.0) when unset", async () => {
    for (const [env, full] of [
      [{}, "12.0.0"],
      [{ MMBOT_SANDBOX_VERSION: "10.11" }, "10.11.0"],
    ] as const) {
      const run = await startCli(tempDir(), ["--port", "0"], env);
      expect(run.stdout()).toContain(`(version ${full}, sandbox.version;`);
      const answer = await fetch(`${run.url}/api/v4/system/ping`);
      expect(answer.headers.get("x-version-id")?.startsWith(`${full}.`)).toBe(true);
      await stop(run);
    }
  });

  it("mmbot start --port runs it on that port; a port that is not a number is a usage error", async () => {
    const port = await freePort();
    const run = await startCli(tempDir(), ["--port", String(port)], {});
    expect(run.url).toBe(`http://127.0.0.1:${port}`);
    expect(run.stdout()).not.toContain("is in use");
    await stop(run);

    const bad = await runCli(["start", "--port", "eighty"], { cwd: tempDir() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--port expects a port number from 0 to 65535, not "eighty"');
  });
});

describe("the sandbox's discovery file", () => {
  it("is kept beside each sandbox's data: two sandboxes in one directory keep their own, and doctor finds each from its config", async () => {
    const cwd = tempDir();
    const a = await startCli(cwd, [], {
      MMBOT_SANDBOX_PORT: "0",
      MMBOT_SANDBOX_DATA: "a/world.db",
    });
    const b = await startCli(cwd, [], {
      MMBOT_SANDBOX_PORT: "0",
      MMBOT_SANDBOX_DATA: "b/world.db",
    });
    const record = (dir: string) =>
      JSON.parse(readFileSync(join(cwd, dir, "world.json"), "utf8")) as {
        url: string;
        pid: number;
      };
    expect(record("a")).toMatchObject({ url: a.url, pid: a.child.pid });
    expect(record("b")).toMatchObject({ url: b.url, pid: b.child.pid });
    expect(existsSync(join(cwd, "data", "sandbox.json"))).toBe(false);

    for (const [dir, run] of [
      ["a", a],
      ["b", b],
    ] as const) {
      const doctor = await runCli(["doctor", "--json"], {
        cwd,
        env: { MMBOT_SANDBOX_DATA: `${dir}/world.db` },
      });
      expect((JSON.parse(doctor.stdout) as { server: { url: string } }).server.url).toBe(run.url);
    }

    await stop(a);
    expect(existsSync(join(cwd, "a", "world.json"))).toBe(false);
    expect(record("b")).toMatchObject({ url: b.url, pid: b.child.pid });
    await stop(b);
    expect(existsSync(join(cwd, "b", "world.json"))).toBe(false);
  });

  it("never replaces nor deletes another running process's file", async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, "data"));
    const theirs = JSON.stringify({
      url: "http://127.0.0.1:1",
      bot_token: "x".repeat(26),
      pid: process.pid,
    });
    writeFileSync(join(cwd, "data", "sandbox.json"), theirs);
    const run = await startCli(cwd, [], { MMBOT_SANDBOX_PORT: "0" });
    expect(readFileSync(join(cwd, "data", "sandbox.json"), "utf8")).toBe(theirs);
    await stop(run);
    expect(readFileSync(join(cwd, "data", "sandbox.json"), "utf8")).toBe(theirs);
  });
});

describe("mmbot chat --url --token", () => {
  it("needs nothing from mmbot.toml (here one as mmbot init --token-env writes it, without the token)", async () => {
    const sandbox = await Sandbox.start();
    try {
      const seed = sandbox.seed();
      const cwd = tempDir();
      writeFileSync(join(cwd, "mmbot.toml"), '[mattermost]\nurl = "https://chat.example.com"\n');
      const result = await runCli(
        ["chat", "--url", sandbox.url, "--token", seed.users.alice.token],
        { cwd, input: "/quit\n" },
      );
      expect(result.stderr).toBe("");
      expect(result.stdout).toContain("You are @alice");
      expect(result.code).toBe(0);
    } finally {
      await sandbox.close();
    }
  });
});
