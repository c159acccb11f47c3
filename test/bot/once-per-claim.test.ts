/**
 * A post whose instance was SIGKILLed mid-handling (its claim never finished) is handled again
 * by the next instance once the claim's lease runs out. What the first run did must not be done
 * twice: its streamed answer (`ctx.stream`, the agent's) is edited into the second run's, not
 * streamed again, and an app's own side effect made with `ctx.onceKey` (a todo item) is there once.
 *
 * The first run is a real bot in a child process (test/fixtures/killable-bot.mjs, the built
 * library), killed with SIGKILL; the second is the harness's bot on the same store.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { afterEach, beforeAll, afterAll, expect, it } from "vitest";
import { agent } from "../../src/apps/agent/index.js";
import { todo } from "../../src/apps/todo/index.js";
import type { Bot } from "../../src/bot/bot.js";
import type { Post } from "../../src/mattermost/types.js";
import { openStore } from "../../src/store/index.js";
import { until } from "../helpers/cli.js";
import { describeEachDatabase } from "../helpers/databases.js";
import { unfinishedClaims } from "../helpers/claims.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { OpenAiTestServer } from "../helpers/openai-server.js";

const CHILD = new URL("../fixtures/killable-bot.mjs", import.meta.url).pathname;
const LEASE_MS = 500;

let h: Harness | undefined;
let child: ChildProcess | undefined;
let model: OpenAiTestServer;
beforeAll(async () => {
  model = await OpenAiTestServer.start();
});
afterAll(() => model.close());
afterEach(async () => {
  child?.kill("SIGKILL");
  child = undefined;
  await h?.close();
  h = undefined;
});

/**
 * The harness with its bot stopped, and the first instance (a child process running
 * `scenario`) connected in its place on the same store. `second` sets up the harness's bot, the
 * instance that takes over.
 */
async function firstInstance(
  storeUrl: string,
  scenario: "stream" | "stream-two-parts" | "todo" | "agent",
  second: (bot: Bot) => void,
): Promise<Harness> {
  h = await startHarness({ storeUrl, bot: { claimLeaseMs: LEASE_MS }, setup: second });
  await h.bot.stop();
  const env = {
    PATH: process.env.PATH,
    MMBOT_URL: h.sandbox.url,
    MMBOT_TOKEN: h.seed.bot.token,
    MMBOT_STORE: storeUrl,
    MMBOT_SCENARIO: scenario,
    MMBOT_MODEL_URL: model.url,
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
  return h;
}

/** SIGKILLs the first instance, then (after `meanwhile`) starts the harness's bot, which takes the post over. */
async function killFirstInstance(harness: Harness, meanwhile?: () => Promise<void>): Promise<void> {
  const exited = new Promise((resolve) => child!.once("exit", resolve));
  child!.kill("SIGKILL");
  await exited;
  child = undefined;
  await meanwhile?.();
  await harness.restartBot();
}

/** What a kill between a streamed post's POST and its outbox entry's commit leaves: the post, and no entry. */
async function forgetOutbox(harness: Harness): Promise<void> {
  const store = await openStore(harness.storeUrl);
  try {
    await store.db.deleteFrom("outbox").execute();
  } finally {
    await store.close();
  }
}

const botPosts = (harness: Harness, question: Post) => harness.botPostsInThread(question);

async function sentEntries(harness: Harness): Promise<number> {
  const store = await openStore(harness.storeUrl);
  try {
    const row = await store.db
      .selectFrom("outbox")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("status", "=", "sent")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  } finally {
    await store.close();
  }
}

/** Until the post taken over is handled again (no claim left unfinished), then three leases more: a late post would show. */
async function handledAgain(harness: Harness): Promise<void> {
  await until(
    async () => ((await unfinishedClaims(harness.storeUrl)) === 0 ? true : undefined),
    "the post taken over to be handled again",
  );
  await new Promise((r) => setTimeout(r, 3 * LEASE_MS));
}

describeEachDatabase("a post handled again after its instance was SIGKILLed", (db) => {
  it.each([
    ["", undefined],
    [" (killed before the post's outbox entry was stored)", forgetOutbox],
  ])(
    "has one streamed answer (ctx.stream), the second run's whole text, in the post the first run streamed into%s",
    async (_, meanwhile) => {
      const harness = await firstInstance(
        (await db.fresh()).url,
        "stream",
        (bot) =>
          void bot.command("explain", (ctx) =>
            ctx.stream(
              (async function* () {
                yield "the second run's ";
                yield "whole answer";
              })(),
              { editIntervalMs: 50 },
            ),
          ),
      );
      const question = harness.say("alice", harness.seed.channels.ops.id, "@todobot explain");
      await until(
        () => botPosts(harness, question).find((p) => p.message === "the first run's half answer"),
        "the first run's text",
      );
      const streamed = botPosts(harness, question)[0]!;

      await killFirstInstance(harness, meanwhile && (() => meanwhile(harness)));
      await handledAgain(harness);
      const answers = botPosts(harness, question);
      expect(answers.map((p) => p.message)).toEqual(["the second run's whole answer"]);
      expect(answers[0]!.id).toBe(streamed.id);
    },
  );

  it("keeps none of the first run's posts the second run's shorter answer does not need", async () => {
    const harness = await firstInstance(
      (await db.fresh()).url,
      "stream-two-parts",
      (bot) =>
        void bot.command("explain", (ctx) =>
          ctx.stream(
            (async function* () {
              yield "second run, whole.";
            })(),
            { editIntervalMs: 50, partLimit: 40 },
          ),
        ),
    );
    const question = harness.say("alice", harness.seed.channels.ops.id, "@todobot explain");
    await until(
      () => (botPosts(harness, question).length === 2 ? true : undefined),
      "the first run's two posts",
    );
    // killed once both are stored as sent (a kill before a commit is the window docs/reliability.md names)
    await until(
      async () => ((await sentEntries(harness)) === 2 ? true : undefined),
      "the first run's two posts stored as sent",
    );
    const first = botPosts(harness, question)[0]!;
    expect(first.message).toBe("first run, part one.");

    await killFirstInstance(harness);
    await handledAgain(harness);
    expect(botPosts(harness, question).map((p) => [p.id, p.message])).toEqual([
      [first.id, "second run, whole."],
    ]);
  });

  it("has one agent answer, the second run's, in the post the first run's stream began", async () => {
    model.next(
      { chunks: ["the first run's half answer", " and more"], stallAfter: 1 },
      { chunks: ["the second run's ", "whole answer"] },
    );
    const harness = await firstInstance(
      (await db.fresh()).url,
      "agent",
      (bot) => void bot.use(agent({ url: model.url, model: "test-model", editIntervalMs: 50 })),
    );
    const question = harness.say(
      "alice",
      harness.seed.channels.ops.id,
      "@todobot what is the answer?",
    );
    await until(
      () => botPosts(harness, question).find((p) => p.message === "the first run's half answer"),
      "the first run's text",
    );
    const streamed = botPosts(harness, question)[0]!;

    await killFirstInstance(harness);
    await handledAgain(harness);
    const answers = botPosts(harness, question);
    expect(answers.map((p) => p.message)).toEqual(["the second run's whole answer"]);
    expect(answers[0]!.id).toBe(streamed.id);
  });

  it("adds the todo item once, and the thread has the first run's answer only", async () => {
    const harness = await firstInstance(
      (await db.fresh()).url,
      "todo",
      (bot) => void bot.use(todo()),
    );
    const post = harness.say("alice", harness.seed.channels.ops.id, "@todobot add buy milk");
    await until(
      () => botPosts(harness, post).find((p) => p.message === "Added #1: buy milk"),
      "the first run's answer",
    );

    await killFirstInstance(harness);
    await handledAgain(harness);
    expect(botPosts(harness, post).map((p) => p.message)).toEqual(["Added #1: buy milk"]);
    const list = harness.say("alice", harness.seed.channels.ops.id, "@todobot list");
    const shown = (await harness.replyTo(list)).message;
    expect(shown).toContain("1 open");
    expect(shown.match(/buy milk/g)).toHaveLength(1);
  });
});
