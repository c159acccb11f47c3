// `mmbot start` (a real child process) stopped by a signal while a handler runs: the first
// SIGTERM lets the handler finish and its reply go out, then exits 0; a second one exits at once.
// Either way, after a restart every message has exactly one reply. The reply's POST is held by
// the sandbox's fault API, so the signal lands while the handler waits for it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { CLI, until } from "../helpers/cli.js";

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const child of children) child.kill("SIGKILL");
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function world(): Promise<{ sandbox: Sandbox; seed: SeedResult; store: string }> {
  const sandbox = await Sandbox.start();
  cleanups.push(() => sandbox.close());
  return { sandbox, seed: sandbox.seed(), store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-stop-")), "bot.db")}` };
}

async function startBot(sandbox: Sandbox, seed: SeedResult, store: string) {
  const child = spawn(process.execPath, [CLI, "start"], {
    env: { PATH: process.env.PATH, MATTERMOST_URL: sandbox.url, MATTERMOST_BOT_TOKEN: seed.bot.token, DATABASE_URL: store, MMBOT_POLICY_ALLOWED_USERS: "*", MMBOT_LOG_LEVEL: "info" },
  });
  children.add(child);
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => (children.delete(child), resolve(code))));
  await until(() => (output.includes("@todobot connected to") ? true : undefined), "the connected line");
  return { child, exited, output: () => output };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const repliesTo = (sandbox: Sandbox, seed: SeedResult, post: Post) => sandbox.thread(post.id).filter((p) => p.user_id === seed.bot.user.id);

describe("mmbot start stops gracefully", () => {
  it("on SIGTERM during a handler: takes no new event, lets the handler's reply go out, exits 0; after a restart each message has one reply", async () => {
    const { sandbox, seed, store } = await world();
    const alice = seed.users.alice.user.id;
    const ops = seed.channels.ops.id;
    const bot = await startBot(sandbox, seed, store);
    sandbox.faults.delayRest({ path: "^/api/v4/posts$", method: "POST", ms: 1_500, count: 1 });
    const during = sandbox.post(alice, { channel_id: ops, message: "@todobot add during the stop" });
    await sleep(400); // the handler now waits for its reply's POST
    const signalledAt = Date.now();
    bot.child.kill("SIGTERM");
    await sleep(100);
    const afterSignal = sandbox.post(alice, { channel_id: ops, message: "@todobot add after the signal" });
    expect(await bot.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(1_000); // it waited for the handler
    expect(repliesTo(sandbox, seed, during).map((p) => p.message)).toEqual(["Added #1: during the stop"]);
    expect(repliesTo(sandbox, seed, afterSignal)).toEqual([]); // not taken by a stopping bot

    const again = await startBot(sandbox, seed, store);
    await until(() => (repliesTo(sandbox, seed, afterSignal).length > 0 ? true : undefined), "the reply to the post made during the stop");
    const later = sandbox.post(alice, { channel_id: ops, message: "@todobot add later" });
    await until(() => (repliesTo(sandbox, seed, later).length > 0 ? true : undefined), "the reply to a later post");
    expect(repliesTo(sandbox, seed, during)).toHaveLength(1);
    expect(repliesTo(sandbox, seed, afterSignal)).toHaveLength(1);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("on a second signal exits at once; the reply kept in the outbox goes out once after a restart", async () => {
    const { sandbox, seed, store } = await world();
    const bot = await startBot(sandbox, seed, store);
    sandbox.faults.failRest({ path: "^/api/v4/posts$", method: "POST", answer: "timeout" });
    const post = sandbox.post(seed.users.alice.user.id, { channel_id: seed.channels.ops.id, message: "@todobot add stuck" });
    await sleep(400);
    bot.child.kill("SIGTERM");
    await sleep(300);
    const secondAt = Date.now();
    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(143);
    expect(Date.now() - secondAt).toBeLessThan(1_000);
    expect(bot.output()).toContain("second stop signal");
    expect(repliesTo(sandbox, seed, post)).toEqual([]);

    await startBot(sandbox, seed, store);
    await until(() => (repliesTo(sandbox, seed, post).length > 0 ? true : undefined), "the reply sent from the outbox after the restart");
    await sleep(300);
    expect(repliesTo(sandbox, seed, post).map((p) => p.message)).toEqual(["Added #1: stuck"]);
  });
});
