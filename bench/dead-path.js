// "Everything silent": `mmbot start` (a child process, the todo bot on SQLite) reaches the sandbox
// through the fault proxy, which silences every open connection (the WebSocket and the REST
// keep-alive ones) while new connections work: a NAT that forgot its state. A mention is posted
// at once; the figure is silence → the bot's answer, the median of ROUNDS (default 5).
//   npm run build && node bench/dead-path.js          (RELIABLE_WEBSOCKETS=0: no resume, REST catch-up)
// To be folded into bench/recovery.js (the proxy scenarios of issue 15, item 8).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../dist/sandbox/index.js";
import { FaultProxy } from "./fault-proxy.js";

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const reliableWebSockets = process.env.RELIABLE_WEBSOCKETS !== "0";
const sandbox = await Sandbox.start({ reliableWebSockets });
const seed = sandbox.seed();
const proxy = await FaultProxy.start(sandbox.url);
const alice = seed.users.alice.user.id;
const channel = seed.channels.ops.id;
const store = `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-dead-path-")), "bot.db")}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const child = spawn(process.execPath, [new URL("../dist/cli.js", import.meta.url).pathname, "start"], {
  env: { ...process.env, MATTERMOST_URL: proxy.url, MATTERMOST_BOT_TOKEN: seed.bot.token, DATABASE_URL: store, MMBOT_POLICY_ALLOWED_USERS: "*", MMBOT_LOG_LEVEL: "error" },
  stdio: ["ignore", "pipe", "inherit"],
});
await new Promise((resolve) => child.stdout.on("data", (chunk) => String(chunk).includes("connected to") && resolve()));

function ask(text) {
  const post = sandbox.post(alice, { channel_id: channel, message: `@todobot add ${text}` });
  return sandbox.waitForPost((p) => p.user_id === seed.bot.user.id && p.root_id === post.id, { timeoutMs: 60_000 }).then(() => performance.now());
}

console.log(`sandbox behind the fault proxy (reliable WebSockets ${reliableWebSockets ? "on" : "off"}); node ${process.version}`);
const figures = [];
for (let i = 0; i < ROUNDS; i++) {
  await ask(`warm-up ${i}`); // keep-alive connections through the proxy
  await sleep(1_000 + Math.random() * 3_000); // a random moment in the ping cycle
  proxy.silence();
  const silentAt = performance.now();
  const answeredAt = await ask(`silent ${i}`);
  figures.push(answeredAt - silentAt);
  console.log(`  round ${i + 1}: answered ${((answeredAt - silentAt) / 1000).toFixed(2)} s after the silence began`);
}
const sorted = [...figures].sort((a, b) => a - b);
const s = (v) => `${(v / 1000).toFixed(2)} s`;
console.log(`everything silent → first answer: median ${s(sorted[Math.floor(sorted.length / 2)])}, min ${s(sorted[0])}, max ${s(sorted.at(-1))} (${figures.length} rounds; target ≤ 15 s)`);
child.kill("SIGKILL");
await proxy.close();
await sandbox.close();
