// End-to-end figures of the todo bot on the sandbox: a user posts over REST, the bot (a child
// process, `mmbot start`) answers, the reply lands in the sandbox. Prints messages/s, p50/p99
// latency (and the overhead over a raw WebSocket+REST echo bot doing the least possible), the
// bot's idle RSS and its start-to-connected time.
//   npm run bench            (MESSAGES=20000 CONCURRENCY=64 LATENCY_MESSAGES=2000 to change the load)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../dist/sandbox/index.js";

const MESSAGES = Number(process.env.MESSAGES ?? 20_000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const WARMUP = 500;
// overhead is measured unloaded too: at saturation, p50 is mostly time spent queueing
const LATENCY_MESSAGES = Number(process.env.LATENCY_MESSAGES ?? 2_000);

const sandbox = await Sandbox.start();
const seed = sandbox.seed();
const alice = seed.users.alice;
const channels = [];
for (let i = 0; i < CONCURRENCY; i++) {
  const channel = sandbox.createChannel({ team_id: seed.team.id, name: `bench-${i}` });
  sandbox.addToChannel(channel.id, alice.user.id);
  sandbox.addToChannel(channel.id, seed.bot.user.id);
  channels.push(channel);
}

// replies are matched to the user post they answer through the sandbox's broadcasts
// (a reply can arrive before the HTTP answer to the user's post has been read: keep it)
const waiting = new Map(); // root post id → resolve
const early = new Set(); // root post ids answered before anyone waited
sandbox.onEvent((event) => {
  if (event.event !== "posted") return;
  const post = JSON.parse(event.data.post);
  if (post.user_id !== seed.bot.user.id) return;
  const resolve = waiting.get(post.root_id);
  if (resolve) resolve(post);
  else early.add(post.root_id);
});
const replyTo = (postId) =>
  early.delete(postId) ? Promise.resolve() : new Promise((resolve) => waiting.set(postId, resolve));

async function startChild(args, env) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    env: {
      ...process.env,
      MATTERMOST_URL: sandbox.url,
      MATTERMOST_BOT_TOKEN: seed.bot.token,
      MMBOT_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => String(d).includes("connected") && resolve());
    child.on("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${code}`)));
  });
  return { child, startMs: performance.now() - t0 };
}

function rssMb(pid) {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
  return kb / 1024;
}

async function drive(label, total, makeMessage, users = channels.length) {
  const latencies = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    channels.slice(0, users).map(async (channel) => {
      while (next < total) {
        const n = next++;
        const sent = performance.now();
        // the user's post is made in-process: the driver shares a core with the sandbox, and an
        // HTTP client here would measure undici rather than the bot
        const post = sandbox.post(alice.user.id, {
          channel_id: channel.id,
          message: makeMessage(n),
        });
        await replyTo(post.id);
        waiting.delete(post.id);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  const result = { label, messages: total, perSecond: total / seconds, p50: pct(50), p99: pct(99) };
  console.log(
    `${label.padEnd(34)} ${total} msgs in ${seconds.toFixed(2)} s = ${result.perSecond.toFixed(0)} msg/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`,
  );
  return result;
}

console.log(
  `sandbox ${sandbox.url}; ${CONCURRENCY} users posting concurrently, one channel each; node ${process.version}`,
);

// 1. baseline: the raw echo bot
const raw = await startChild([new URL("./raw-echo.js", import.meta.url).pathname], {});
await drive("warm-up (raw echo)", WARMUP, (n) => `hello ${n}`);
const base = await drive("raw WebSocket+REST echo (baseline)", MESSAGES, (n) => `hello ${n}`);
const baseOne = await drive(
  "raw echo, one user at a time",
  LATENCY_MESSAGES,
  (n) => `hello ${n}`,
  1,
);
raw.child.kill("SIGTERM");

// 2. mmbot start, the todo bot, SQLite
const dir = mkdtempSync(join(tmpdir(), "mmbot-bench-"));
const bot = await startChild(
  [new URL("../dist/service/cli/main.js", import.meta.url).pathname, "start"],
  {
    DATABASE_URL: `sqlite:${join(dir, "bench.db")}`,
    MMBOT_POLICY_ALLOWED_USERS: "*",
  },
);
await new Promise((r) => setTimeout(r, 1000));
const idleRss = rssMb(bot.child.pid);
await drive("warm-up (todo bot)", WARMUP, (n) => `@todobot add warm-up ${n}`);
const todo = await drive(
  "todo bot, SQLite (mmbot start)",
  MESSAGES,
  (n) => `@todobot add item ${n}`,
);
const todoOne = await drive(
  "todo bot, one user at a time",
  LATENCY_MESSAGES,
  (n) => `@todobot add one ${n}`,
  1,
);
const loadedRss = rssMb(bot.child.pid);
bot.child.kill("SIGTERM");

console.log("");
console.log(`todo commands end to end:   ${todo.perSecond.toFixed(0)} /s   (target ≥ 2,000)`);
console.log(
  `latency p50 / p99 at ${CONCURRENCY} users: ${todo.p50.toFixed(2)} / ${todo.p99.toFixed(2)} ms; baseline ${base.p50.toFixed(2)} / ${base.p99.toFixed(2)} ms (queueing at saturation)`,
);
console.log(
  `latency p50 / p99, 1 user:  ${todoOne.p50.toFixed(2)} / ${todoOne.p99.toFixed(2)} ms; baseline ${baseOne.p50.toFixed(2)} / ${baseOne.p99.toFixed(2)} ms`,
);
console.log(
  `bot overhead at p50:        ${(todoOne.p50 - baseOne.p50).toFixed(2)} ms one user at a time   (target ≤ 2 ms); ${(todo.p50 - base.p50).toFixed(2)} ms at ${CONCURRENCY} users`,
);
console.log(
  `bot idle RSS:               ${idleRss.toFixed(1)} MB   (target ≤ 80 MB; ${loadedRss.toFixed(1)} MB after the run)`,
);
console.log(
  `start to connected:         ${bot.startMs.toFixed(0)} ms (process spawn to "connected")   (target ≤ 500 ms)`,
);
await sandbox.close();
process.exit(0);
