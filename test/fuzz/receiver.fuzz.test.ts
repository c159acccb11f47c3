/**
 * The bot's HTTP receiver under hostile input, over loopback HTTP as `mmbot start` serves it
 * (the todo app, the HTTP source with /metrics and /readyz on the same listener), talking to a
 * sandbox: no 5xx, every 4xx with a reason, no forged request reaching a handler, no failure
 * nobody foresaw, the bot still answering afterwards, RSS flat.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todo } from "../../src/apps/todo/index.js";
import { Bot } from "../../src/bot/bot.js";
import { DEFAULT_BODY_LIMIT_BYTES } from "../../src/http/integration-endpoint.js";
import { BotMetrics, metricsRequestHandler } from "../../src/metrics/index.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { HttpSource } from "../../src/sources/http.js";
import { WebSocketSource } from "../../src/sources/websocket.js";
import {
  ACTION_SECRET,
  FORGED_MARK,
  HOOK_TOKEN,
  receiverCase,
  SLASH_TOKEN,
  validRequests,
  type Ids,
} from "./receiver-cases.js";
import { casesFor, fuzzSeed, Rng, SHARES } from "./random.js";
import {
  closeClientSockets,
  reproduce,
  runPool,
  send,
  sendBrokenFraming,
  settledRssMb,
  Tally,
} from "./storm.js";

const FILE = "test/fuzz/receiver.fuzz.test.ts";
const seed = fuzzSeed();
const cases = casesFor(SHARES.receiver);
const WARM_UP = Math.max(1, Math.floor(cases / 4));
const CONCURRENCY = 16;

interface LogLine {
  level: number;
  msg: string;
  err?: { message?: string; stack?: string };
}

let sandbox: Sandbox;
let seeded: SeedResult;
let bot: Bot;
let base: string;
let ids: Ids;
const errorLogs: LogLine[] = [];
const forgedSeen: string[] = [];
const processFailures: unknown[] = [];
const onProcessFailure = (error: unknown) => processFailures.push(error);

beforeAll(async () => {
  process.on("unhandledRejection", onProcessFailure);
  process.on("uncaughtException", onProcessFailure);
  sandbox = await Sandbox.start();
  seeded = sandbox.seed();
  ids = {
    channelId: seeded.channels.offTopic.id,
    userId: seeded.users.alice.user.id,
    teamId: seeded.team.id,
  };
  // error lines only: the refusals (warn) would be most of a big run's memory
  const logger = pino(
    { level: "error" },
    { write: (line: string) => void errorLogs.push(JSON.parse(line) as LogLine) },
  );
  const metrics = new BotMetrics();
  bot = new Bot({
    url: sandbox.url,
    token: seeded.bot.token,
    store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-fuzz-")), "bot.db")}`,
    policy: { allowedUsers: "*" },
    logger,
    observer: metrics,
  });
  bot.use(async (ctx, next) => {
    const seen = JSON.stringify(ctx.envelope);
    if (seen.includes(FORGED_MARK)) forgedSeen.push(seen.slice(0, 300));
    await next();
  });
  bot.use(todo());
  const http = new HttpSource({
    listen: "127.0.0.1:0",
    tokens: { outgoingWebhook: [HOOK_TOKEN], slash: [SLASH_TOKEN] },
    actionSecret: ACTION_SECRET,
    alsoServe: metricsRequestHandler(metrics),
  });
  await bot.start(new WebSocketSource({ pingIntervalMs: 1_000 }), http);
  base = http.publicUrl;
}, 30_000);

afterAll(async () => {
  closeClientSockets();
  await bot?.stop();
  await sandbox?.close();
  process.off("unhandledRejection", onProcessFailure);
  process.off("uncaughtException", onProcessFailure);
});

describe(`the bot's HTTP receiver under ${cases} hostile requests (${reproduce(seed, FILE)})`, () => {
  it("answers every one below 500, with a reason for every 4xx, refuses every forgery, stays flat and keeps working", async () => {
    const rng = new Rng(seed);
    const tally = new Tally();
    const problems: string[] = [];
    const runCase = async (i: number) => {
      if (i % 200 === 199) {
        const kind = rng.pick(["short body", "cut chunk", "endless headers"] as const);
        const status = await sendBrokenFraming(
          base,
          rng.pick(["/slash", "/hooks/outgoing", "/actions/tododone1", "/dialogs"]),
          kind,
          rng.bytes(rng.int(1, 3000)),
        );
        tally.add("broken framing", kind, status);
        if (status >= 500) problems.push(`case ${i}: broken framing (${kind}) answered ${status}`);
        return;
      }
      const c = receiverCase(rng, ids, DEFAULT_BODY_LIMIT_BYTES);
      const answer = await send(base, c).catch((error: unknown) => ({
        status: -1,
        contentType: "",
        body: String(error),
      }));
      tally.add(c.route, c.mutation, answer.status);
      const what = `case ${i}: ${c.method} ${c.path.slice(0, 80)} (${c.mutation})`;
      if (answer.status < 100 || answer.status >= 500)
        problems.push(`${what} answered ${answer.status} ${answer.body.slice(0, 200)}`);
      if (c.forged && (answer.status < 400 || answer.status >= 500))
        problems.push(
          `${what}: a forged request answered ${answer.status} ${answer.body.slice(0, 200)}`,
        );
      if (
        answer.status >= 400 &&
        answer.status < 500 &&
        c.method !== "HEAD" &&
        !hasReason(answer.body, c.path)
      )
        problems.push(`${what}: a ${answer.status} without a reason: ${answer.body.slice(0, 200)}`);
    };

    const started = Date.now();
    await runPool(WARM_UP, CONCURRENCY, runCase);
    closeClientSockets();
    const before = await settledRssMb();
    const heapBefore = process.memoryUsage().heapUsed / 1048576;
    const externalBefore = process.memoryUsage().external / 1048576;
    await runPool(cases - WARM_UP, CONCURRENCY, (i) => runCase(i + WARM_UP));
    closeClientSockets();
    const after = await settledRssMb();
    const heapAfter = process.memoryUsage().heapUsed / 1048576;
    const externalAfter = process.memoryUsage().external / 1048576;
    const seconds = (Date.now() - started) / 1000;

    // the bot still answers a valid slash command, through the todo app and the store
    const valid = await send(base, validRequests.slash(ids, "add milk after the storm"));
    const unforeseen = errorLogs.filter((l) => l.msg.includes("unexpected failure"));
    console.log(
      tally.report(`receiver (${reproduce(seed, FILE)})`, [
        `  heap ${heapBefore.toFixed(1)} MB → ${heapAfter.toFixed(1)} MB, external ${externalBefore.toFixed(1)} → ${externalAfter.toFixed(1)} MB; RSS ${before.toFixed(1)} MB → ${after.toFixed(1)} MB (${(after - before).toFixed(1)} MB) around ${cases - WARM_UP} cases after ${WARM_UP} of warm-up; ${seconds.toFixed(1)} s, ${Math.round(tally.total / seconds)} cases/s`,
        `  error lines logged: ${errorLogs.length} (${[...new Set(errorLogs.map((l) => l.msg))].slice(0, 8).join(" | ")})`,
      ]),
    );

    expect(problems.slice(0, 20), reproduce(seed, FILE)).toEqual([]);
    const handlerFailures = errorLogs.filter((l) => l.msg.startsWith("handler for"));
    expect(
      handlerFailures.slice(0, 3).map((l) => `${l.msg}: ${l.err?.stack?.slice(0, 600) ?? ""}`),
      reproduce(seed, FILE),
    ).toEqual([]);
    expect(forgedSeen.slice(0, 5), "handlers saw a forged request").toEqual([]);
    expect(
      unforeseen.slice(0, 3).map((l) => `${l.msg}: ${l.err?.stack ?? ""}`),
      reproduce(seed, FILE),
    ).toEqual([]);
    expect(processFailures.map(String)).toEqual([]);
    expect(valid.status).toBe(200);
    expect(JSON.parse(valid.body).text).toContain("milk after the storm");
    expect(after - before, `RSS growth in MB (${reproduce(seed, FILE)})`).toBeLessThan(20);
  }, 600_000);
});

/** A refusal says why: the receiver's `{error}`, or the metrics listener's text. */
function hasReason(body: string, path: string): boolean {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === "string" && parsed.error.length > 0;
  } catch {
    return path.startsWith("/metrics") && body.trim().length > 0;
  }
}
