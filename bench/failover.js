// Failover across instances: two `mmbot start` processes on one store, the one handling a post
// SIGKILLed mid-way; timed from the kill until the other's answer is in the thread. The post runs
// a `[[bridge]]` program that sleeps (the kill finds it running), so the take-over runs it again;
// the second run answers at once. Then the store load of the claims (renewals and the look for
// abandoned ones), per instance, idle and while handling a post.
//   npm run build && node bench/failover.js                      (SQLite: two processes on one file)
//   node bench/failover.js --postgres postgres://root@127.0.0.1:5432/test   (also on a fresh database there)
//   ROUNDS=5 (default), PART=failover|load (default: both)
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { Bot, WebSocketSource, openStore, silentLogger } from "../dist/index.js";
import { Sandbox } from "../dist/sandbox/index.js";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const PART = process.env.PART ?? "both";
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS ?? 30);
const { values } = parseArgs({ options: { postgres: { type: "string" } } });
const postgresAdmin = values.postgres ?? process.env.TEST_DATABASE_URL;

const CLI = new URL("../dist/service/cli/main.js", import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;
const stats = (list) => {
  const sorted = [...list].sort((a, b) => a - b);
  return `median ${seconds(sorted[Math.floor(sorted.length / 2)])}, min ${seconds(sorted[0])}, max ${seconds(sorted.at(-1))} (${list.length} rounds)`;
};

const sandbox = await Sandbox.start();
const seed = sandbox.seed();
const alice = seed.users.alice.user.id;
const channel = seed.channels.ops.id;
const dir = mkdtempSync(join(tmpdir(), "mmbot-failover-"));

// the bridge program: its first run of a round records who runs it (the bot is its parent) and
// sleeps until killed; a run again (on the other instance) answers at once
const program = join(dir, "slow.mjs");
writeFileSync(
  program,
  `import { existsSync, writeFileSync } from "node:fs";
const marker = process.argv[2] + "/" + process.argv[3];
if (existsSync(marker)) console.log("answered by the other instance");
else {
  writeFileSync(marker, JSON.stringify({ bot: process.ppid, program: process.pid }));
  setTimeout(() => undefined, 600_000);
}
`,
);
writeFileSync(
  join(dir, "mmbot.toml"),
  `[[bridge]]\ncommand = "slow"\nprogram = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(program)}, ${JSON.stringify(dir)}]\nallow = ["/r[0-9]+/"]\ntimeout_seconds = 600\n`,
);

/** `mmbot start` in `dir` (its mmbot.toml) on `store`; resolves once connected. */
async function startInstance(store) {
  const child = spawn(process.execPath, [CLI, "start"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      MATTERMOST_URL: sandbox.url,
      MATTERMOST_BOT_TOKEN: seed.bot.token,
      DATABASE_URL: store,
      MMBOT_POLICY_ALLOWED_USERS: "*",
      MMBOT_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (const deadline = Date.now() + 30_000; !output.includes("connected to"); await sleep(20)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`mmbot start did not connect:\n${output}`);
  }
  return { child, exited };
}

let runs = 0; // markers are per run, across stores

async function failover(label, store) {
  const instances = [await startInstance(store), await startInstance(store)];
  const times = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await sleep(1_000);
    const run = `r${++runs}`;
    const post = sandbox.post(alice, { channel_id: channel, message: `@todobot slow ${run}` });
    const marker = join(dir, run);
    for (const deadline = Date.now() + 30_000; !existsSync(marker); await sleep(10))
      if (Date.now() > deadline) throw new Error("no instance ran the program");
    await sleep(Math.random() * 6_000); // killed at a random moment of the handling (and of the renewal cycle)
    const who = JSON.parse(readFileSync(marker, "utf8"));
    const victim = instances.find((i) => i.child.pid === who.bot);
    if (!victim) throw new Error(`the program's parent ${who.bot} is not an instance`);
    const answered = sandbox.waitForPost(
      (p) => p.user_id === seed.bot.user.id && p.root_id === post.id,
      { timeoutMs: 120_000 },
    );
    const killedAt = performance.now();
    victim.child.kill("SIGKILL");
    process.kill(who.program, "SIGKILL"); // the orphaned first run
    await victim.exited;
    await answered;
    const took = performance.now() - killedAt;
    times.push(took);
    console.log(
      `  ${label} round ${round}: answered by the other instance ${seconds(took)} after the kill`,
    );
    instances[instances.indexOf(victim)] = await startInstance(store); // two instances again
  }
  for (const instance of instances) instance.child.kill("SIGTERM");
  await Promise.all(instances.map((i) => i.exited));
  return times;
}

/** A store whose claims count their queries and the time they take. */
function countingStore(store) {
  const count = { queries: 0, ms: 0 };
  const timed =
    (fn) =>
    async (...args) => {
      const started = performance.now();
      try {
        return await fn(...args);
      } finally {
        count.queries++;
        count.ms += performance.now() - started;
      }
    };
  const claims = store.claims;
  const renew = timed(claims.renew);
  // renew() of nothing sends no query
  const wrapped = {
    ...claims,
    renew: async (ids, owner) => (ids.length === 0 ? undefined : renew(ids, owner)),
    abandoned: timed(claims.abandoned),
  };
  return { store: { ...store, claims: wrapped }, count };
}

/** Claims' queries a second of one library bot (default lease), idle then handling one post that takes the whole time. */
async function load(label, url) {
  const store = await openStore(url);
  const { store: counted, count } = countingStore(store);
  let release;
  const bot = new Bot({
    url: sandbox.url,
    token: seed.bot.token,
    store: counted,
    logger: silentLogger(),
    policy: { allowedUsers: "*" },
  });
  bot.command("hold", (ctx) => new Promise((r) => (release = r)).then(() => ctx.reply("released")));
  await bot.start(new WebSocketSource());
  const measure = async () => {
    const before = { ...count };
    await sleep(LOAD_SECONDS * 1000);
    const queries = count.queries - before.queries;
    return `${(queries / LOAD_SECONDS).toFixed(2)} queries/s, ${((count.ms - before.ms) / LOAD_SECONDS).toFixed(3)} ms of store time/s`;
  };
  const idle = await measure();
  sandbox.post(alice, { channel_id: channel, message: "@todobot hold" });
  for (; !release; ) await sleep(10);
  const busy = await measure();
  release();
  await bot.stop();
  await store.close();
  console.log(`  ${label}: idle ${idle}; handling a post ${busy}`);
}

async function freshPostgres(adminUrl) {
  const name = `mmbot_bench_${Math.random().toString(16).slice(2, 10)}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

console.log(
  `sandbox ${sandbox.url}; two mmbot start instances on one store, default claim lease; node ${process.version}`,
);
const stores = [
  {
    label: "SQLite",
    url: async () => ({
      url: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-failover-store-")), "bot.db")}`,
      drop: async () => undefined,
    }),
  },
];
if (postgresAdmin) stores.push({ label: "PostgreSQL", url: () => freshPostgres(postgresAdmin) });
const results = [];
for (const { label, url } of stores) {
  if (PART !== "load") {
    const db = await url();
    try {
      results.push(
        `kill → answered by another instance (${label}):`.padEnd(50) +
          `${stats(await failover(label, db.url))}   (target ≤ 12 s)`,
      );
    } finally {
      await db.drop();
    }
  }
  if (PART !== "failover") {
    const db = await url();
    try {
      await load(`claims' store load, one instance (${label}, ${LOAD_SECONDS} s each)`, db.url);
    } finally {
      await db.drop();
    }
  }
}
console.log("");
for (const line of results) console.log(line);
await sandbox.close();
process.exit(0);
