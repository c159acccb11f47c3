// `mmbot start` (a real child process) stopped by a signal while a handler runs: the first
// SIGTERM lets the handler finish and its reply go out, then exits 0; a second one exits at once.
// Either way, after a restart every message has exactly one reply. The reply's POST is held by
// the sandbox's fault API, so the signal lands while the handler waits for it.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
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

async function world(): Promise<{
  sandbox: Sandbox;
  seed: SeedResult;
  store: string;
  file: string;
}> {
  const sandbox = await Sandbox.start();
  cleanups.push(() => sandbox.close());
  const file = join(mkdtempSync(join(tmpdir(), "mmbot-stop-")), "bot.db");
  return { sandbox, seed: sandbox.seed(), store: `sqlite:${file}`, file };
}

/** Resolves once the bot (another process) has claimed the post in its store: its handler is running. */
function handlerStarted(file: string, post: Post): Promise<true> {
  return until(() => {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT 1 FROM claims WHERE id = ?").get(`post:${post.id}`)
        ? true
        : undefined;
    } finally {
      db.close();
    }
  }, "the bot's claim of the post");
}

async function startBot(sandbox: Sandbox, seed: SeedResult, store: string) {
  const child = spawn(process.execPath, [CLI, "start"], {
    env: {
      PATH: process.env.PATH,
      MATTERMOST_URL: sandbox.url,
      MATTERMOST_BOT_TOKEN: seed.bot.token,
      DATABASE_URL: store,
      MMBOT_POLICY_ALLOWED_USERS: "*",
      MMBOT_LOG_LEVEL: "info",
    },
  });
  children.add(child);
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => (children.delete(child), resolve(code))),
  );
  await until(
    () => (output.includes("@todobot connected to") ? true : undefined),
    "the connected line",
  );
  return { child, exited, output: () => output };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const repliesTo = (sandbox: Sandbox, seed: SeedResult, post: Post) =>
  sandbox.thread(post.id).filter((p) => p.user_id === seed.bot.user.id);

describe("mmbot start stops gracefully", () => {
  it("on SIGTERM during a handler: takes no new event, lets the handler's reply go out, exits 0; after a restart each message has one reply", async () => {
    const { sandbox, seed, store, file } = await world();
    const alice = seed.users.alice.user.id;
    const ops = seed.channels.ops.id;
    const bot = await startBot(sandbox, seed, store);
    sandbox.faults.delayRest({ path: "^/api/v4/posts$", method: "POST", ms: 1_500, count: 1 });
    const during = sandbox.post(alice, {
      channel_id: ops,
      message: "@todobot add during the stop",
    });
    await handlerStarted(file, during); // the handler is running; its reply's POST will be held 1.5 s
    const signalledAt = Date.now();
    bot.child.kill("SIGTERM");
    await until(
      () => (bot.output().includes("shutting down") ? true : undefined),
      "the stop to begin",
    );
    const afterSignal = sandbox.post(alice, {
      channel_id: ops,
      message: "@todobot add after the signal",
    });
    expect(await bot.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(1_000); // it waited for the handler
    expect(repliesTo(sandbox, seed, during).map((p) => p.message)).toEqual([
      "Added #1: during the stop",
    ]);
    expect(repliesTo(sandbox, seed, afterSignal)).toEqual([]); // not taken by a stopping bot

    const again = await startBot(sandbox, seed, store);
    await until(
      () => (repliesTo(sandbox, seed, afterSignal).length > 0 ? true : undefined),
      "the reply to the post made during the stop",
    );
    const later = sandbox.post(alice, { channel_id: ops, message: "@todobot add later" });
    await until(
      () => (repliesTo(sandbox, seed, later).length > 0 ? true : undefined),
      "the reply to a later post",
    );
    expect(repliesTo(sandbox, seed, during)).toHaveLength(1);
    expect(repliesTo(sandbox, seed, afterSignal)).toHaveLength(1);
    again.child.kill("SIGTERM");
    expect(await again.exited).toBe(0);
  });

  it("on a second signal exits at once; the reply kept in the outbox goes out once after a restart", async () => {
    const { sandbox, seed, store, file } = await world();
    const bot = await startBot(sandbox, seed, store);
    sandbox.faults.failRest({ path: "^/api/v4/posts$", method: "POST", answer: "timeout" });
    const post = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "@todobot add stuck",
    });
    await handlerStarted(file, post);
    bot.child.kill("SIGTERM");
    await until(
      () => (bot.output().includes("shutting down") ? true : undefined),
      "the stop to begin",
    );
    const secondAt = Date.now();
    bot.child.kill("SIGTERM");
    expect(await bot.exited).toBe(143);
    expect(Date.now() - secondAt).toBeLessThan(4_000); // not the 8 s a graceful stop waits for the stuck handler
    expect(bot.output()).toContain("second stop signal");
    expect(repliesTo(sandbox, seed, post)).toEqual([]);

    await startBot(sandbox, seed, store);
    await until(
      () => (repliesTo(sandbox, seed, post).length > 0 ? true : undefined),
      "the reply sent from the outbox after the restart",
    );
    await sleep(300);
    expect(repliesTo(sandbox, seed, post).map((p) => p.message)).toEqual(["Added #1: stuck"]);
  });
});
