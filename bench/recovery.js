// Recovery times of `mmbot start` (a child process, the todo bot on SQLite). The bot reaches the
// sandbox through a TCP fault proxy (bench/fault-proxy.js): the network faults happen on real
// sockets between them, where real networks break; the server restart is the sandbox's own.
// Each figure is until the bot's answer lands; each is the median of ROUNDS rounds (default 5).
//   npm run build && node bench/recovery.js            (ROUNDS=3 to change the repetitions)
//   RELIABLE_WEBSOCKETS=0 node bench/recovery.js       a server as 5.37 comes: no resume, REST catch-up only
//   ONLY=silent,cut node bench/recovery.js             some scenarios only (silent, cut, restart, kill, refused, failover)
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../dist/sandbox/index.js";
import { FaultProxy } from "./fault-proxy.js";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CUT_MS = 8_000;
const ONLY = process.env.ONLY?.split(",");
const runs = (name) => !ONLY || ONLY.includes(name);

const reliableWebSockets = process.env.RELIABLE_WEBSOCKETS !== "0";
const sandbox = await Sandbox.start({ reliableWebSockets });
const seed = sandbox.seed();
const alice = seed.users.alice.user.id;
const channel = seed.channels.ops.id;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const freshStore = () => `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-recovery-")), "bot.db")}`;
const proxy = await FaultProxy.start(sandbox.url);
const seconds = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** Spawns `mmbot start` reaching the sandbox through `via`; `lines` gets each line it prints, with its arrival time. */
function startBot(store, via = proxy) {
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    [new URL("../dist/service/cli/main.js", import.meta.url).pathname, "start"],
    {
      env: {
        ...process.env,
        MATTERMOST_URL: via.url,
        MATTERMOST_BOT_TOKEN: seed.bot.token,
        DATABASE_URL: store,
        MMBOT_POLICY_ALLOWED_USERS: "*",
        MMBOT_LOG_LEVEL: process.env.MMBOT_LOG_LEVEL ?? "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const lines = [];
  for (const stream of [child.stdout, child.stderr]) {
    let rest = "";
    stream.on("data", (chunk) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop();
      for (const text of parts) lines.push({ text, at: performance.now() });
    });
  }
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const connected = new Promise((resolve, reject) => {
    const timer = setInterval(
      () => lines.some((l) => l.text.includes("connected to")) && (clearInterval(timer), resolve()),
      5,
    );
    child.on(
      "exit",
      (code) => code !== null && code !== 0 && reject(new Error(`mmbot start exited with ${code}`)),
    );
  });
  return {
    child,
    spawnedAt,
    lines,
    connected,
    exited,
    stop: () => (child.kill("SIGKILL"), exited),
  };
}

/** Posts a mention; resolves with the time (performance.now) the bot's answer was posted. */
function ask(text, timeoutMs = 90_000) {
  const post = sandbox.post(alice, { channel_id: channel, message: `@todobot add ${text}` });
  return sandbox
    .waitForPost((p) => p.user_id === seed.bot.user.id && p.root_id === post.id, { timeoutMs })
    .then(
      () => performance.now(),
      (error) => {
        throw new Error(
          `"${text}" was not answered within ${timeoutMs / 1000} s; the bot's last lines:\n${bot.lines
            .slice(-40)
            .map((l) => l.text)
            .join("\n")}`,
          { cause: error },
        );
      },
    );
}

const figures = [];
function report(label, values, target) {
  const sorted = [...values].sort((a, b) => a - b);
  const line = values.length
    ? `median ${seconds(sorted[Math.floor(sorted.length / 2)])}, min ${seconds(sorted[0])}, max ${seconds(sorted.at(-1))} (${values.length} rounds)`
    : "not measured";
  figures.push(`${label.padEnd(42)} ${line}${target ? `   (target ≤ ${target})` : ""}`);
}

console.log(
  `sandbox ${sandbox.url} behind a TCP fault proxy (reliable WebSockets ${reliableWebSockets ? "on" : "off"}); mmbot start with its defaults; node ${process.version}; ${ROUNDS} rounds`,
);
let bot = startBot(freshStore());
await bot.connected;
await ask("warm-up");

// 1. every open connection silent, both ways (a NAT that forgot its state): the WebSocket and the
// REST client's keep-alive connections alike; new connections work. A message is waiting.
if (runs("silent")) {
  const detection = [];
  const answered = [];
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(1_000 + Math.random() * 3_000); // a random moment in the ping cycle
    const silentAt = performance.now();
    const seen = bot.lines.length;
    proxy.silence();
    const answeredAt = await ask(`silent ${i}`);
    const dead = bot.lines.slice(seen).find((l) => l.text.includes("the socket is dead"));
    if (dead) detection.push(dead.at - silentAt);
    answered.push(answeredAt - silentAt);
    console.log(
      `  silent path ${i + 1}: declared dead after ${dead ? seconds(dead.at - silentAt) : "?"}, answered after ${seconds(answeredAt - silentAt)}`,
    );
  }
  report("silent path → socket declared dead:", detection);
  report("silent path → first answer:", answered, "15 s");
}

// 2. an 8 s cut (every connection reset, new ones refused); a message posted during it
if (runs("cut")) {
  const answered = [];
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(3_000); // a stable connection first
    proxy.cut(CUT_MS);
    const reachableAt = performance.now() + CUT_MS;
    await sleep(1_000);
    const answeredAt = await ask(`cut ${i}`);
    answered.push(answeredAt - reachableAt);
    console.log(
      `  cut ${i + 1}: answered ${seconds(answeredAt - reachableAt)} after the path was back`,
    );
  }
  report(`${CUT_MS / 1000} s cut: path back → first answer:`, answered, "2 s");
}

// 3. a server restart (connections and sequence numbers forgotten, down 1 s): the sandbox's own fault
if (runs("restart")) {
  const answered = [];
  for (let i = 0; i < ROUNDS; i++) {
    await sleep(3_000);
    sandbox.faults.restart(1_000);
    const upAt = performance.now() + 1_000;
    await sleep(200);
    answered.push((await ask(`server restart ${i}`)) - upAt);
  }
  report("server restart: up again → first answer:", answered);
}

// 4. the bot killed, a message posted while it is down, a new process started on the same store
if (runs("kill")) {
  const store = freshStore();
  await bot.stop();
  bot = startBot(store);
  await bot.connected;
  const answered = [];
  for (let i = 0; i < ROUNDS; i++) {
    await bot.stop();
    const waiting = ask(`bot restart ${i}`);
    await sleep(500);
    bot = startBot(store);
    answered.push((await waiting) - bot.spawnedAt);
  }
  report("bot killed: process start → first answer:", answered, "1 s");
}

// 5. a proxy that refuses WebSocket upgrades (403) and passes REST, from the first start
if (runs("refused")) {
  await bot.stop(); // only the bot behind the refusing proxy may answer
  const answered = [];
  const refusing = await FaultProxy.start(sandbox.url);
  refusing.refuseUpgrades(403);
  for (let i = 0; i < ROUNDS; i++) {
    const other = startBot(freshStore(), refusing);
    await sleep(300); // posted once the process runs (a first start answers nothing older than its process)
    const answeredAt = await ask(`upgrade refused ${i}`, 30_000).catch(() => undefined);
    if (answeredAt !== undefined) answered.push(answeredAt - other.spawnedAt);
    console.log(
      `  upgrade refused ${i + 1}: ${answeredAt === undefined ? "not answered within 30 s" : `answered ${seconds(answeredAt - other.spawnedAt)} after the start`}`,
    );
    await other.stop();
  }
  await refusing.close();
  report("upgrade refused (403): start → first answer:", answered, "4 s");
}

// 6. two instances on one store, the one handling a post SIGKILLed: bench/failover.js, its figure relayed
if (runs("failover")) {
  const child = spawn(process.execPath, [new URL("./failover.js", import.meta.url).pathname], {
    env: { ...process.env, PART: "failover", ROUNDS: String(ROUNDS) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  await new Promise((resolve) => child.on("exit", resolve));
  for (const line of out.split("\n").filter((l) => l.startsWith("  "))) console.log(line);
  const figure = out.split("\n").find((l) => l.startsWith("kill → answered by another instance"));
  figures.push(
    figure
      ? figure.replace(
          /^kill → answered by another instance \((\w+)\):\s*/,
          (_, store) => `${`instance killed → another answers (${store}):`.padEnd(42)} `,
        )
      : "instance killed → another answers:         not measured (bench/failover.js failed)",
  );
}

await bot.stop();
console.log("");
for (const line of figures) console.log(line);
await proxy.close();
await sandbox.close();
process.exit(0);
