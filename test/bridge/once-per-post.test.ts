/**
 * A `[[bridge]]` command of a post handled again after its instance was SIGKILLed (the claim
 * taken over, src/bot/claims.ts) runs its program once: a run that finished before the
 * kill is answered from its stored output, not run again. A run cut off by the kill is run
 * again, with the same MMBOT_ONCE_KEY, so the program can make its own effect idempotent.
 *
 * The first handling is a real bot in a child process (test/fixtures/killable-bot.mjs, the built
 * library, scenario "bridge": the bridge runs and answers, then the handling never ends), killed
 * with SIGKILL; the second is the harness's bot on the same store. The program is a real child
 * process that appends its once key to a file per run.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { bridgeFromConfig as bridge, type BridgeInput } from "../../src/service/bridge-config.js";
import type { Post } from "../../src/mattermost/types.js";
import { unfinishedClaims } from "../helpers/claims.js";
import { until } from "../helpers/cli.js";
import { describeEachDatabase } from "../helpers/databases.js";
import { startHarness, type Harness } from "../helpers/harness.js";

const CHILD = new URL("../fixtures/killable-bot.mjs", import.meta.url).pathname;
const PROGRAM = new URL("../fixtures/bridge/append-once-key.mjs", import.meta.url).pathname;
const LEASE_MS = 500;

let h: Harness | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  child?.kill("SIGKILL");
  child = undefined;
  await h?.close();
  h = undefined;
});

/** The bridge of both instances: `@bot count` runs the program, which appends a line to `file`. */
function counting(file: string, mode?: "hang-first"): BridgeInput {
  return {
    command: "count",
    program: process.execPath,
    args: [PROGRAM, file, ...(mode ? [mode] : [])],
  };
}

/** The harness (its bot stopped) and the first instance, a child with `entry`, connected on the same store. */
async function firstInstance(storeUrl: string, entry: BridgeInput): Promise<Harness> {
  const harness = await startHarness({
    storeUrl,
    bot: { claimLeaseMs: LEASE_MS },
    setup: (bot) => void bot.use(bridge([entry])),
  });
  h = harness;
  await harness.bot.stop();
  const env = {
    PATH: process.env.PATH,
    MMBOT_URL: harness.sandbox.url,
    MMBOT_TOKEN: harness.seed.bot.token,
    MMBOT_STORE: storeUrl,
    MMBOT_SCENARIO: "bridge",
    MMBOT_BRIDGE: JSON.stringify(entry),
  };
  const started = spawn(process.execPath, [CHILD], { env, stdio: ["ignore", "pipe", "pipe"] });
  child = started;
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
  return harness;
}

/** SIGKILLs the first instance and starts the harness's bot, which takes the post over; resolves once it has handled it, and a lease more. */
async function killAndTakeOver(harness: Harness): Promise<void> {
  const exited = new Promise((resolve) => child!.once("exit", resolve));
  child!.kill("SIGKILL");
  await exited;
  child = undefined;
  await harness.restartBot();
  await until(
    async () => ((await unfinishedClaims(harness.storeUrl)) === 0 ? true : undefined),
    "the post taken over to be handled again",
  );
  await new Promise((r) => setTimeout(r, 3 * LEASE_MS)); // a late second answer would show
}

const lines = (file: string) =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
const answers = (harness: Harness, post: Post) =>
  harness.botPostsInThread(post).map((p) => p.message);

describeEachDatabase("a bridge command of a post handled again after a SIGKILL", (db) => {
  it("does not run the program again when its run finished before the kill: one line in the file, one answer in the thread", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "mmbot-bridge-once-")), "runs.txt");
    const harness = await firstInstance((await db.fresh()).url, counting(file));
    const post = harness.say("alice", harness.seed.channels.ops.id, "@todobot count");
    await until(
      () => (answers(harness, post).length === 1 ? true : undefined),
      "the first run's answer",
    );
    expect(answers(harness, post)).toEqual(["```\nrun 1\n```"]);

    await killAndTakeOver(harness);
    expect(lines(file)).toHaveLength(1);
    expect(answers(harness, post)).toEqual(["```\nrun 1\n```"]);
  });

  it("runs a run cut off by the kill again, with the same MMBOT_ONCE_KEY, and answers once", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "mmbot-bridge-once-")), "runs.txt");
    const harness = await firstInstance((await db.fresh()).url, counting(file, "hang-first"));
    const post = harness.say("alice", harness.seed.channels.ops.id, "@todobot count");
    await until(() => (lines(file).length === 1 ? true : undefined), "the first run to start");

    await killAndTakeOver(harness);
    const keys = lines(file);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(`post:${post.id}#bridge`);
    expect(keys[1]).toBe(keys[0]);
    expect(answers(harness, post)).toEqual(["```\nrun 2\n```"]);
  });
});
