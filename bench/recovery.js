// Recovery times of `mmbot start` (a child process, the todo bot on SQLite) against the sandbox's
// fault API: a socket gone silent, an 8 s network cut, a server restart, and a bot restart
// (SIGKILL, then a new process) with a message waiting. Each figure is until the bot's answer lands.
//   npm run build && node bench/recovery.js            (ROUNDS=3 to change the repetitions)
//   RELIABLE_WEBSOCKETS=0 node bench/recovery.js       a server as 5.37 comes: no resume, REST catch-up only
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../dist/sandbox/index.js";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const CUT_MS = 8_000;

const reliableWebSockets = process.env.RELIABLE_WEBSOCKETS !== "0";
const sandbox = await Sandbox.start({ reliableWebSockets });
const seed = sandbox.seed();
const alice = seed.users.alice.user.id;
const channel = seed.channels.ops.id;
const store = `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-recovery-")), "bot.db")}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Spawns `mmbot start`; `lines` gets each line it prints (log lines included) with its arrival time. */
function startBot() {
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [new URL("../dist/cli.js", import.meta.url).pathname, "start"], {
    env: { ...process.env, MATTERMOST_URL: sandbox.url, MATTERMOST_BOT_TOKEN: seed.bot.token, DATABASE_URL: store, MMBOT_POLICY_ALLOWED_USERS: "*", MMBOT_LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream.on("data", (chunk) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop();
      for (const text of parts) lines.push({ text, at: performance.now() });
    });
  }
  const connected = new Promise((resolve, reject) => {
    const timer = setInterval(() => lines.some((l) => l.text.includes("connected to")) && (clearInterval(timer), resolve()), 5);
    child.on("exit", (code) => code !== null && code !== 0 && reject(new Error(`mmbot start exited with ${code}`)));
  });
  return { child, spawnedAt, lines, connected };
}

/** Posts a mention; resolves with the time (performance.now) the bot's answer was posted. */
function ask(text) {
  const post = sandbox.post(alice, { channel_id: channel, message: `@todobot add ${text}` });
  return sandbox.waitForPost((p) => p.user_id === seed.bot.user.id && p.root_id === post.id, { timeoutMs: 60_000 }).then(() => performance.now());
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (v) => `${(v / 1000).toFixed(2)} s`;
  return `median ${f(sorted[Math.floor(sorted.length / 2)])}, min ${f(sorted[0])}, max ${f(sorted.at(-1))} (${values.length} rounds)`;
};

console.log(`sandbox ${sandbox.url} (reliable WebSockets ${reliableWebSockets ? "on" : "off"}); mmbot start with its default keep-alive and backoff; node ${process.version}`);
let bot = startBot();
await bot.connected;
await ask("warm-up");

// 1. a silent socket: no frames, no pongs (a NAT that lost its state); a message is waiting
const detection = [];
const silentAnswer = [];
for (let i = 0; i < ROUNDS; i++) {
  await sleep(1_000 + Math.random() * 3_000); // a random moment in the ping cycle
  const silentAt = performance.now();
  const seen = bot.lines.length;
  sandbox.faults.silenceWebSockets(seed.bot.user.id);
  const answeredAt = await ask(`silent ${i}`);
  const dead = bot.lines.slice(seen).find((l) => l.text.includes("the socket is dead"));
  if (dead) detection.push(dead.at - silentAt);
  silentAnswer.push(answeredAt - silentAt);
  console.log(`  silent socket ${i + 1}: declared dead after ${dead ? `${((dead.at - silentAt) / 1000).toFixed(2)} s` : "?"}, answered after ${((answeredAt - silentAt) / 1000).toFixed(2)} s`);
}

// 2. an 8 s network cut; a message posted during it; timed from the server being reachable again
const cutAnswer = [];
for (let i = 0; i < ROUNDS; i++) {
  await sleep(3_000); // a stable connection first
  sandbox.faults.cut(CUT_MS);
  const reachableAt = performance.now() + CUT_MS;
  await sleep(1_000);
  const answeredAt = await ask(`cut ${i}`);
  cutAnswer.push(answeredAt - reachableAt);
  console.log(`  cut ${i + 1}: answered ${((answeredAt - reachableAt) / 1000).toFixed(2)} s after the server was reachable`);
}

// 3. a server restart (connections and sequence numbers forgotten, down 1 s)
const serverRestart = [];
for (let i = 0; i < ROUNDS; i++) {
  await sleep(3_000);
  sandbox.faults.restart(1_000);
  const upAt = performance.now() + 1_000;
  await sleep(200);
  serverRestart.push((await ask(`server restart ${i}`)) - upAt);
}

// 4. the bot killed, a message posted while it is down, a new process started
const botRestart = [];
for (let i = 0; i < ROUNDS; i++) {
  bot.child.kill("SIGKILL");
  await new Promise((r) => bot.child.once("exit", r));
  const waiting = ask(`bot restart ${i}`);
  await sleep(500);
  bot = startBot();
  botRestart.push((await waiting) - bot.spawnedAt);
}
bot.child.kill("SIGTERM");

console.log("");
console.log(`silent socket → declared dead:         ${detection.length ? stats(detection) : "not seen in the log"}   (target ≤ 15 s)`);
console.log(`silent socket → first answer:          ${stats(silentAnswer)}`);
console.log(`8 s cut: reachable again → answer:     ${stats(cutAnswer)}   (target ≤ 2 s)`);
console.log(`server restart: up again → answer:     ${stats(serverRestart)}`);
console.log(`bot restart: process start → answer:   ${stats(botRestart)}   (target ≤ 3 s)`);
await sandbox.close();
process.exit(0);
