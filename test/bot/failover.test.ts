/**
 * Failover across instances: two instances on one store, the one handling a post SIGKILLed
 * mid-way. The other answers it once the claim's lease (default) runs out. With the old 30 s
 * lease (renewed every 10 s, looked for every 10 s) that took 20–40 s; the default now takes
 * about 10 s. The bound here is generous: a slow machine must not fail it, the old lease must.
 *
 * The first instance is a real bot in a child process (test/fixtures/killable-bot.mjs, the built
 * library, scenario "hang"), the second the harness's bot, both with the default lease.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, expect, it } from "vitest";
import { unfinishedClaims } from "../helpers/claims.js";
import { until } from "../helpers/cli.js";
import { describeEachDatabase } from "../helpers/databases.js";
import { startHarness, type Harness } from "../helpers/harness.js";

const CHILD = new URL("../fixtures/killable-bot.mjs", import.meta.url).pathname;
/** Well under the old lease alone (30 s); the default lease takes about 10 s. */
const FAILOVER_BOUND_MS = 20_000;

let h: Harness | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  child = undefined;
  await h?.close();
  h = undefined;
});

async function startFirstInstance(harness: Harness, storeUrl: string): Promise<ChildProcess> {
  const env = {
    PATH: process.env.PATH,
    MMBOT_URL: harness.sandbox.url,
    MMBOT_TOKEN: harness.seed.bot.token,
    MMBOT_STORE: storeUrl,
    MMBOT_SCENARIO: "hang",
  };
  const started = spawn(process.execPath, [CHILD], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  started.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  started.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  await until(
    () =>
      output.includes("connected")
        ? true
        : started.exitCode !== null
          ? Promise.reject(new Error(`the first instance exited: ${output}`))
          : undefined,
    "the first instance to connect",
  );
  return started;
}

describeEachDatabase("an instance SIGKILLed while handling a post", (db) => {
  it("has the post answered by the other instance well within the old 30 s lease, once", {
    timeout: 90_000,
  }, async () => {
    const storeUrl = (await db.fresh()).url;
    h = await startHarness({
      storeUrl,
      setup: (bot) =>
        void bot.command("slow", (ctx) => ctx.reply("answered by the other instance")),
    });
    // only the first instance is up when the post comes, so it is the one that takes it
    await h.bot.stop();
    child = await startFirstInstance(h, storeUrl);
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot slow");
    await until(
      async () => ((await unfinishedClaims(storeUrl)) === 1 ? true : undefined),
      "the first instance to claim the post",
    );
    const harness = h;
    await harness.restartBot(); // the other instance, alive beside the first; the post is not its to take

    const exited = new Promise((resolve) => child!.once("exit", resolve));
    const killedAt = Date.now();
    child.kill("SIGKILL");
    await exited;
    child = undefined;
    const reply = await harness.replyTo(post, { timeoutMs: 60_000 });
    const failoverMs = Date.now() - killedAt;

    expect(reply.message).toBe("answered by the other instance");
    expect(failoverMs, `answered ${failoverMs} ms after the kill`).toBeLessThan(FAILOVER_BOUND_MS);
    await until(
      async () => ((await unfinishedClaims(storeUrl)) === 0 ? true : undefined),
      "the claim to be finished",
    );
    expect(harness.botPostsInThread(post).map((p) => p.message)).toEqual([
      "answered by the other instance",
    ]);
  });
});
