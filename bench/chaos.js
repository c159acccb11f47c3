// The chaos test: users post mentions over several channels and their threads while the sandbox's
// fault API breaks everything it can inside the server, and a TCP fault proxy between the bots and
// the server breaks the path (bench/fault-proxy.js), at random moments (seeded), and bot processes are SIGKILLed;
// then every message must have been answered exactly once and nothing may be left in the store.
//   npm run chaos                                   (1,000 messages, SQLite, one bot process)
//   npm run chaos -- --postgres postgres://…/db     (three instances on one PostgreSQL database)
//   npm run chaos -- --seed 42 --messages 200 --faults 5
// `runChaos()` is also what test/e2e/chaos.test.ts runs, at a reduced size.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Database from "better-sqlite3";
import pg from "pg";
import { Sandbox } from "../dist/sandbox/index.js";
import { FaultProxy } from "./fault-proxy.js";

const CLI = new URL("../dist/service/cli/main.js", import.meta.url).pathname;

/** Every kind of fault the sandbox injects; each is injected `faultsPerKind` times. */
export const FAULT_KINDS = [
  "drop-websockets",
  "refuse-websockets",
  "silence-websockets",
  "rest-429",
  "rest-500",
  "rest-502",
  "rest-timeout",
  "delay-rest",
  "restart",
  "cut",
  // on the path between the bots and the server
  "path-cut",
  "path-silence",
  "path-refuse-upgrades",
  "path-half-open",
  "path-drip",
];

/**
 * A REST fault is a moment of trouble: the next 1-3 calls of its path within these 5 s get it.
 * (Armed until used, the faults of a path only a starting bot calls, `/users/me`, piled up and
 * all met the process restarted a minute later.)
 */
const REST_FAULT_WITHIN_MS = 5_000;

/** What a proxy answers a WebSocket upgrade it won't pass with. */
const UPGRADE_REFUSALS = [400, 403, 405, 426, 501, 502];

// the calls a bot (and the users) make most: creating posts, looking up users, channels, catch-up
const REST_PATHS = [
  "^/api/v4/posts$",
  "^/api/v4/users/[^/]+$",
  "^/api/v4/channels/[^/]+/posts$",
  "^/api/v4/channels/[^/]+$",
  "^/api/v4/users/me/teams",
];

/** A small seeded PRNG (mulberry32): the same seed gives the same schedule. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one chaos round and returns its figures (see `formatReport`). Options: `messages`,
 * `channels`, `users`, `faultsPerKind`, `seed`, `postgres` (a database URL: three instances),
 * `instances`, `rate` (messages per second), `settleMs` (the bound after the last fault),
 * `log` (progress lines).
 */
export async function runChaos(options = {}) {
  const messages = options.messages ?? 1_000;
  const channelCount = options.channels ?? 5;
  const userCount = options.users ?? 4;
  // 13 of each of the 15 kinds: about 200 faults in a run, as when there were 10 kinds of 20
  const faultsPerKind = options.faultsPerKind ?? 13;
  const seed = options.seed ?? randomBytes(4).readUInt32BE(0);
  const instanceCount = options.instances ?? (options.postgres ? 3 : 1);
  const rate = options.rate ?? 10;
  const settleMs = options.settleMs ?? 60_000;
  const log = options.log ?? (() => {});
  const random = rng(seed);
  const startedAt = Date.now();

  const dir = mkdtempSync(join(tmpdir(), "mmbot-chaos-"));
  const storeUrl = options.postgres ?? `sqlite:${join(dir, "bot.db")}`;
  const sandbox = await Sandbox.start();
  const proxy = await FaultProxy.start(sandbox.url);
  const bots = [];
  try {
    const world = buildWorld(sandbox, channelCount, userCount);
    const spawnBot = (index) => {
      const bot = startBot({
        url: proxy.url,
        token: world.bot.token,
        storeUrl,
        dir: join(dir, `bot-${index}`),
      });
      bots[index] = bot;
      return bot;
    };
    for (let i = 0; i < instanceCount; i++) spawnBot(i);
    await Promise.all(bots.map((b) => b.connected));
    log(
      `seed ${seed}: ${messages} messages over ${channelCount} channels by ${userCount} users, ${faultsPerKind} faults of each of ${FAULT_KINDS.length} kinds, ${instanceCount} instance(s) on ${options.postgres ? "PostgreSQL" : "SQLite"}`,
    );

    // the schedule: messages at `rate` per second, faults and kills at random moments within it
    const postingMs = Math.ceil((messages / rate) * 1000);
    const faults = [];
    for (const kind of FAULT_KINDS)
      for (let i = 0; i < faultsPerKind; i++)
        faults.push({ kind, at: random.int(500, postingMs), params: faultParams(kind, random) });
    faults.sort((a, b) => a.at - b.at);
    const kills = [
      {
        at: random.int(Math.floor(postingMs * 0.3), Math.floor(postingMs * 0.6)),
        instance: 0,
        restartAfterMs: random.int(300, 2_000),
      },
    ];
    if (instanceCount > 1)
      kills.push({
        at: random.int(Math.floor(postingMs * 0.4), Math.floor(postingMs * 0.8)),
        instance: 1,
        restartAfterMs: undefined,
      });

    const faultCounts = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0]));
    const faultTimes = []; // { at, kind }: the timeline's faults
    const t0 = Date.now();
    let lastFaultAt = t0;
    const faultRun = (async () => {
      for (const fault of faults) {
        await sleep(t0 + fault.at - Date.now());
        applyFault(sandbox, proxy, fault);
        faultCounts[fault.kind]++;
        faultTimes.push({ at: Date.now(), kind: fault.kind });
        lastFaultAt = Date.now();
      }
    })();
    const killEvents = [];
    const killRun = Promise.all(
      kills.map(async (kill) => {
        await sleep(t0 + kill.at - Date.now());
        const victim = bots[kill.instance];
        victim.child.kill("SIGKILL");
        await victim.exited;
        const what = `instance ${kill.instance + 1} SIGKILLed at ${(kill.at / 1000).toFixed(1)} s`;
        if (kill.restartAfterMs === undefined)
          return void killEvents.push(`${what}, not restarted`);
        await sleep(kill.restartAfterMs);
        const started = Date.now();
        // under the faults its first connection may take a while: the count at the end decides
        const connected = await spawnBot(kill.instance).connected.then(
          () => `connected ${((Date.now() - started) / 1000).toFixed(1)} s after its start`,
          (error) => `not connected (${error.message.split("\n")[0]})`,
        );
        killEvents.push(`${what}, restarted ${kill.restartAfterMs} ms later, ${connected}`);
      }),
    );

    // the users: each message a mention with a unique token, a quarter of them in a thread
    const sent = []; // { token, postId, createAt }
    const roots = world.channels.map(() => []);
    const posting = [];
    for (let i = 0; i < messages; i++) {
      await sleep(t0 + (i * 1000) / rate - Date.now());
      const c = random.int(0, world.channels.length - 1);
      const user = random.pick(world.users);
      const rootId = roots[c].length > 0 && random.next() < 0.25 ? random.pick(roots[c]) : "";
      const token = `chaos${String(i).padStart(5, "0")}`;
      posting.push(
        userPost(sandbox, user.token, {
          channel_id: world.channels[c].id,
          root_id: rootId,
          message: `@${world.bot.user.username} add ${token}`,
        }).then((post) => {
          sent.push({ token, postId: post.id, createAt: post.create_at });
          if (!rootId) roots[c].push(post.id);
        }),
      );
      if (!rootId && i % 10 === 0) await posting.at(-1); // threads need roots that exist
    }
    await Promise.all(posting);
    await faultRun;
    sandbox.faults.clear(); // REST faults armed for calls nobody made end with the schedule
    proxy.heal();
    await killRun;
    log(
      `posted ${sent.length} messages and injected ${faults.length} faults in ${((Date.now() - t0) / 1000).toFixed(1)} s; settling`,
    );

    // settle: every message answered and the store empty of work, or the bound after the last fault
    const deadline = lastFaultAt + settleMs;
    let tally = countReplies(sandbox, world, sent);
    let stuck = await stuckRows(storeUrl);
    while ((tally.lost > 0 || stuck.total > 0) && Date.now() < deadline) {
      await sleep(500);
      tally = countReplies(sandbox, world, sent);
      stuck = await stuckRows(storeUrl);
    }
    await sleep(2_000); // a late duplicate would show now
    await Promise.all(bots.filter((b) => b.running()).map((b) => b.stop()));
    tally = countReplies(sandbox, world, sent);
    stuck = await stuckRows(storeUrl);
    const figures = {
      seed,
      store: options.postgres ? "postgres" : "sqlite",
      instances: instanceCount,
      messages: sent.length,
      faults: faultCounts,
      kills: killEvents,
      answered: tally.answered,
      lost: tally.lost,
      duplicated: tally.duplicated,
      otherBotPosts: tally.other.length,
      otherSamples: [...new Set(tally.other)].slice(0, 5),
      latencyMs: {
        p50: percentile(tally.latencies, 0.5),
        p99: percentile(tally.latencies, 0.99),
        max: percentile(tally.latencies, 1),
      },
      stuck,
      timeline: timeline(t0, sent, tally.answeredAt, faultTimes),
      lostTokens: tally.lostTokens.slice(0, 10),
      duplicatedTokens: tally.duplicatedTokens.slice(0, 10),
      postedTwice: tally.postedTwice,
      durationMs: Date.now() - startedAt,
    };
    figures.passed =
      figures.lost === 0 &&
      figures.duplicated === 0 &&
      figures.otherBotPosts === 0 &&
      stuck.total === 0 &&
      figures.answered === messages;
    return figures;
  } finally {
    for (const bot of bots) if (bot?.running()) bot.child.kill("SIGKILL");
    await proxy.close();
    await sandbox.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Five channels with the bot and every user in them, and users beside alice and bob. */
function buildWorld(sandbox, channelCount, userCount) {
  const seeded = sandbox.seed();
  const users = [seeded.users.alice, seeded.users.bob];
  for (let i = users.length; i < userCount; i++) {
    const made = sandbox.createUser({ username: `chaos-user-${i}` });
    sandbox.addToTeam(seeded.team.id, made.user.id);
    users.push(made);
  }
  const channels = [];
  for (let i = 0; i < channelCount; i++) {
    const channel = sandbox.createChannel({
      team_id: seeded.team.id,
      name: `chaos-${i}`,
      display_name: `Chaos ${i}`,
    });
    for (const member of [seeded.bot, ...users]) sandbox.addToChannel(channel.id, member.user.id);
    channels.push(channel);
  }
  return { bot: seeded.bot, users, channels };
}

/** `mmbot start` as a child process against the sandbox; `connected` resolves at its first connection. */
function startBot({ url, token, storeUrl, dir, connectWithinMs = 120_000 }) {
  mkdirSync(dir, { recursive: true });
  const child = spawn(process.execPath, [CLI, "start"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      MATTERMOST_URL: url,
      MATTERMOST_BOT_TOKEN: token,
      DATABASE_URL: storeUrl,
      MMBOT_POLICY_ALLOWED_USERS: "*",
      MMBOT_LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let exited = false;
  // CHAOS_LOGS=<dir>: each process's whole output kept there (to see why a run failed)
  const file = process.env.CHAOS_LOGS
    ? createWriteStream(join(process.env.CHAOS_LOGS, `bot-${child.pid}.log`))
    : undefined;
  for (const stream of [child.stdout, child.stderr]) {
    stream.on("data", (chunk) => {
      output = (output + chunk).slice(-200_000);
      file?.write(chunk);
    });
  }
  const exit = new Promise((resolve) =>
    child.on("exit", (code, signal) => ((exited = true), resolve({ code, signal }))),
  );
  const connected = (async () => {
    const deadline = Date.now() + connectWithinMs;
    while (!output.includes("connected to")) {
      if (exited) throw new Error(`mmbot start exited before connecting:\n${output.slice(-2_000)}`);
      if (Date.now() > deadline)
        throw new Error(
          `mmbot start did not connect within ${connectWithinMs / 1000} s:\n${output.slice(-2_000)}`,
        );
      await sleep(20);
    }
  })();
  return {
    child,
    connected,
    exited: exit,
    running: () => !exited,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

function faultParams(kind, random) {
  switch (kind) {
    case "refuse-websockets":
      return { ms: random.int(1_000, 6_000) };
    case "rest-429":
    case "rest-500":
    case "rest-502":
      return { path: random.pick(REST_PATHS), count: random.int(1, 3) };
    case "rest-timeout":
      return { path: random.pick(REST_PATHS), count: 1 };
    case "delay-rest":
      return { ms: random.int(200, 3_000), count: random.int(1, 20) };
    case "restart":
      return { downMs: random.int(0, 1_500) };
    case "cut":
    case "path-cut":
      return { ms: random.int(500, 5_000) };
    case "path-refuse-upgrades":
      return { ms: random.int(1_000, 6_000), status: random.pick(UPGRADE_REFUSALS) };
    case "path-drip":
      return { ms: random.int(1_000, 3_000), bytesPerSecond: random.int(500, 5_000) };
    default:
      return {};
  }
}

function applyFault(sandbox, proxy, { kind, params }) {
  const f = sandbox.faults;
  switch (kind) {
    case "path-cut":
      return proxy.cut(params.ms);
    case "path-silence":
      return proxy.silence();
    case "path-refuse-upgrades":
      proxy.refuseUpgrades(params.status);
      return void setTimeout(
        () => proxy.upgradeStatus === params.status && proxy.refuseUpgrades(null),
        params.ms,
      );
    case "path-half-open":
      return proxy.halfOpen();
    case "path-drip":
      proxy.drip({ bytesPerSecond: params.bytesPerSecond });
      return void setTimeout(() => proxy.drip(false), params.ms);
    case "drop-websockets":
      return f.dropWebSockets();
    case "refuse-websockets":
      return f.refuseWebSockets(params.ms);
    case "silence-websockets":
      return f.silenceWebSockets();
    case "rest-429":
      return f.failRest({
        path: params.path,
        answer: 429,
        count: params.count,
        withinMs: REST_FAULT_WITHIN_MS,
        retryAfterSeconds: 1,
      });
    case "rest-500":
    case "rest-502":
    case "rest-timeout":
      return f.failRest({
        path: params.path,
        answer: kind === "rest-timeout" ? "timeout" : Number(kind.slice(5)),
        count: params.count,
        withinMs: REST_FAULT_WITHIN_MS,
      });
    case "delay-rest":
      return f.delayRest({ ms: params.ms, count: params.count });
    case "restart":
      return f.restart(params.downMs);
    case "cut":
      return f.cut(params.ms);
  }
}

/**
 * A user's post over REST, as a client does it: retried (same `pending_post_id`, so a repeat is
 * the same post) until the server takes it, whatever the faults.
 */
async function userPost(sandbox, token, body) {
  const pending = `${randomBytes(8).toString("hex")}:${Date.now()}`;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${sandbox.url}/api/v4/posts`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ ...body, pending_post_id: pending }),
        signal: AbortSignal.timeout(5_000),
      });
      if (res.status === 201 || res.status === 200) return await res.json();
      if (res.status < 500 && res.status !== 429)
        throw new Error(`a user's post was refused: ${res.status} ${await res.text()}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith("a user's post was refused"))
        throw error;
    }
    if (attempt > 200) throw new Error("a user's post could not be made in 200 tries");
    await sleep(Math.min(2_000, 100 * 2 ** Math.min(attempt, 5)));
  }
}

/** The bot's answers by message token: answered once, lost, duplicated, and each first answer's latency. */
function countReplies(sandbox, world, sent) {
  const replies = new Map();
  const other = [];
  const asked = new Map(); // token → the users' posts carrying it (one, unless a user's retry made two)
  for (const channel of world.channels) {
    for (const post of sandbox.channelPosts(channel.id)) {
      const mine = post.user_id !== world.bot.user.id && / add (chaos\d+)$/.exec(post.message)?.[1];
      if (mine) asked.set(mine, (asked.get(mine) ?? 0) + 1);
      if (post.user_id !== world.bot.user.id || post.type?.startsWith("system_")) continue;
      const token = /^Added #\d+: (chaos\d+)$/.exec(post.message)?.[1];
      if (!token) {
        other.push(post.message.slice(0, 120));
        continue;
      }
      const list = replies.get(token) ?? [];
      list.push(post);
      replies.set(token, list);
    }
  }
  let answered = 0;
  let duplicated = 0;
  const lostTokens = [];
  const duplicatedTokens = [];
  const latencies = [];
  const answeredAt = []; // { at: the message's create_at, latency }
  for (const message of sent) {
    const list = replies.get(message.token);
    if (!list) {
      lostTokens.push(message.token);
      continue;
    }
    answered++;
    if (list.length > 1) {
      duplicated++;
      duplicatedTokens.push(
        `${message.token} (${list.map((p) => `${p.id} at +${((p.create_at - message.createAt) / 1000).toFixed(1)} s`).join(", ")})`,
      );
    }
    const latency = Math.min(...list.map((p) => p.create_at)) - message.createAt;
    latencies.push(latency);
    answeredAt.push({ at: message.createAt, latency });
  }
  const postedTwice = [...asked.values()].filter((n) => n > 1).length;
  return {
    answered,
    lost: lostTokens.length,
    lostTokens,
    duplicated,
    duplicatedTokens,
    other,
    latencies,
    answeredAt,
    postedTwice,
  };
}

/** Work left in the store: claims taken but never finished, outbox entries not sent. */
export async function stuckRows(storeUrl) {
  const queries = {
    unfinishedClaims: "SELECT count(*) AS n FROM claims WHERE finished_at = 0",
    pendingOutbox: "SELECT count(*) AS n FROM outbox WHERE status = 'pending'",
    failedOutbox: "SELECT count(*) AS n FROM outbox WHERE status = 'failed'",
  };
  const counts = {};
  if (storeUrl.startsWith("sqlite:")) {
    const db = new Database(storeUrl.slice("sqlite:".length), {
      readonly: true,
      fileMustExist: true,
    });
    try {
      const columns = db
        .prepare("SELECT name FROM pragma_table_info('claims')")
        .all()
        .map((r) => r.name);
      for (const [key, sql] of Object.entries(queries))
        counts[key] =
          key === "unfinishedClaims" && !columns.includes("finished_at")
            ? 0
            : Number(db.prepare(sql).get().n);
    } finally {
      db.close();
    }
  } else {
    const client = new pg.Client({ connectionString: storeUrl });
    await client.connect();
    try {
      const columns = (
        await client.query(
          "SELECT column_name FROM information_schema.columns WHERE table_name = 'claims'",
        )
      ).rows.map((r) => r.column_name);
      for (const [key, sql] of Object.entries(queries))
        counts[key] =
          key === "unfinishedClaims" && !columns.includes("finished_at")
            ? 0
            : Number((await client.query(sql)).rows[0].n);
    } finally {
      await client.end();
    }
  }
  counts.total = counts.unfinishedClaims + counts.pendingOutbox + counts.failedOutbox;
  return counts;
}

/**
 * Five-second slices of the posting time: messages posted in each, how many were answered, their
 * latency (p50, max) and the faults that hit in it; printed with CHAOS_TIMELINE=1, to see which
 * faults the latency follows.
 */
function timeline(t0, sent, answeredAt, faultTimes) {
  const slice = (at) => Math.max(0, Math.floor((at - t0) / 5_000));
  const rows = [];
  const row = (i) => (rows[i] ??= { posted: 0, latencies: [], faults: {} });
  for (const message of sent) row(slice(message.createAt)).posted++;
  for (const { at, latency } of answeredAt) row(slice(at)).latencies.push(latency);
  for (const { at, kind } of faultTimes) {
    const faults = row(slice(at)).faults;
    faults[kind] = (faults[kind] ?? 0) + 1;
  }
  return [...rows].map((r, i) => {
    const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
    const faults = Object.entries(r?.faults ?? {})
      .map(([k, n]) => (n > 1 ? `${k}×${n}` : k))
      .join(" ");
    const l = r?.latencies ?? [];
    return `${String(i * 5).padStart(4)} s: ${String(r?.posted ?? 0).padStart(3)} posted, ${String(l.length).padStart(3)} answered${l.length ? `, p50 ${s(percentile(l, 0.5))}, max ${s(percentile(l, 1))}` : ""}${faults ? ` | ${faults}` : ""}`;
  });
}

function percentile(values, p) {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
}

/** The figures as the lines `npm run chaos` prints. */
export function formatReport(f) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const lines = [
    `seed:            ${f.seed}`,
    `store:           ${f.store}, ${f.instances} instance(s)`,
    `messages:        ${f.messages}`,
    `faults:          ${Object.values(f.faults).reduce((a, b) => a + b, 0)} (${Object.entries(
      f.faults,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(", ")})`,
    ...f.kills.map((k) => `kill:            ${k}`),
    `answered:        ${f.answered}`,
    `lost:            ${f.lost}${f.lostTokens.length ? ` (${f.lostTokens.join(", ")}${f.lost > f.lostTokens.length ? ", …" : ""})` : ""}`,
    `duplicated:      ${f.duplicated}${f.duplicatedTokens.length ? ` (${f.duplicatedTokens.join("; ")})` : ""}${f.postedTwice ? ` (${f.postedTwice} message(s) posted twice by a user's retry)` : ""}`,
    `other bot posts: ${f.otherBotPosts}${f.otherSamples.length ? ` (${f.otherSamples.map((m) => JSON.stringify(m)).join("; ")})` : ""}`,
    `reply latency:   p50 ${s(f.latencyMs.p50)}, p99 ${s(f.latencyMs.p99)}, max ${s(f.latencyMs.max)}`,
    `stuck in store:  ${f.stuck.total} (claims unfinished ${f.stuck.unfinishedClaims}, outbox pending ${f.stuck.pendingOutbox}, outbox failed ${f.stuck.failedOutbox})`,
    `run time:        ${s(f.durationMs)}`,
    ...(process.env.CHAOS_TIMELINE ? ["timeline:", ...f.timeline.map((l) => `  ${l}`)] : []),
    f.passed ? "PASS: every message answered exactly once, nothing stuck" : "FAIL",
  ];
  return lines.join("\n");
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      seed: { type: "string" },
      messages: { type: "string" },
      faults: { type: "string" },
      postgres: { type: "string" },
      rate: { type: "string" },
    },
  });
  const figures = await runChaos({
    seed: values.seed === undefined ? undefined : Number(values.seed),
    messages: values.messages === undefined ? undefined : Number(values.messages),
    faultsPerKind: values.faults === undefined ? undefined : Number(values.faults),
    rate: values.rate === undefined ? undefined : Number(values.rate),
    postgres:
      values.postgres ??
      (process.env.DATABASE_URL?.startsWith("postgres") ? process.env.DATABASE_URL : undefined),
    log: (line) => console.log(line),
  });
  console.log("");
  console.log(formatReport(figures));
  process.exit(figures.passed ? 0 : 1);
}
