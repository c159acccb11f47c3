// Figures of the agent on the sandbox: THREADS users mention the bot at once (`mmbot start`
// as a child process, with [agent] pointing at a small streaming model server in this
// process), each answer streaming CHUNKS pieces DELAY_MS apart. Per answer: edits per second,
// REST calls; from the model's first token to the first visible post: p50, p99, cut into its
// three shares (model → bot, the bot's own, the bot's POST → the sandbox's event) by a probe
// loaded into the bot's process (bench/agent-probe.js); the bot's RSS and heap after a GC after
// each round, all rounds in one process: over 500 answers by default, the start and the end
// side by side (flat memory, or not).
//   npm run bench:agent      (THREADS=50 CHUNKS=40 DELAY_MS=100 ROUNDS=10 to change the load;
//                             CPU_PROF=dir writes the bot's CPU profile there)
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../dist/sandbox/index.js";

const THREADS = Number(process.env.THREADS ?? 50);
const CHUNKS = Number(process.env.CHUNKS ?? 40);
const DELAY_MS = Number(process.env.DELAY_MS ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 10);

// the model: streams CHUNKS words per answer and notes when the first one was written
const firstToken = new Map(); // question tag → performance.now()
const model = createServer(async (req, res) => {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  if (req.method === "GET") return res.end(JSON.stringify({ data: [{ id: "bench-model" }] }));
  const messages = JSON.parse(raw).messages;
  const tag = /q-\d+-\d+/.exec(messages.at(-1).content)?.[0] ?? "?";
  res.writeHead(200, { "content-type": "text/event-stream", "x-bench-tag": tag }); // sent with the first chunk
  const send = (delta) =>
    res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta }] })}\n\n`);
  for (let i = 0; i < CHUNKS; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, DELAY_MS));
    send({ content: `word${i} ` });
    if (i === 0) firstToken.set(tag, performance.now());
  }
  res.end("data: [DONE]\n\n");
});
await new Promise((resolve) => model.listen(0, "127.0.0.1", resolve));
const modelUrl = `http://127.0.0.1:${model.address().port}/v1`;

const sandbox = await Sandbox.start();
const seed = sandbox.seed();
const channel = seed.channels.townSquare;
const botId = seed.bot.user.id;

const firstVisible = new Map(); // question id → performance.now()
const edits = new Map(); // answer post id → times
sandbox.onEvent((event) => {
  if (event.event !== "posted" && event.event !== "post_edited") return;
  const post = JSON.parse(event.data.post);
  if (post.user_id !== botId) return;
  if (event.event === "posted" && !firstVisible.has(post.root_id))
    firstVisible.set(post.root_id, performance.now());
  if (event.event === "post_edited")
    edits.set(post.id, [...(edits.get(post.id) ?? []), performance.now()]);
});

const dir = mkdtempSync(join(tmpdir(), "mmbot-bench-agent-"));
const probe = new URL("./agent-probe.js", import.meta.url).href;
const profile = process.env.CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.CPU_PROF] : [];
const child = spawn(
  process.execPath,
  [
    "--expose-gc",
    "--import",
    probe,
    ...profile,
    new URL("../dist/service/cli/main.js", import.meta.url).pathname,
    "start",
  ],
  {
    env: {
      ...process.env,
      MATTERMOST_URL: sandbox.url,
      MATTERMOST_BOT_TOKEN: seed.bot.token,
      DATABASE_URL: `sqlite:${join(dir, "bench.db")}`,
      MMBOT_POLICY_ALLOWED_USERS: "*",
      MMBOT_AGENT_URL: modelUrl,
      MMBOT_AGENT_MODEL: "bench-model",
      MMBOT_LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
await new Promise((resolve, reject) => {
  child.stdout.on("data", (d) => String(d).includes("connected") && resolve());
  child.on("exit", (code) => reject(new Error(`mmbot start exited with ${code}`)));
});
const rssMb = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1024;
// the probe's report: a GC first, then the memory and the times it noted since the last one
let probeLines = "";
const probeWaiters = [];
child.stdout.on("data", (d) => {
  probeLines += String(d);
  for (let nl = probeLines.indexOf("\n"); nl !== -1; nl = probeLines.indexOf("\n")) {
    const line = probeLines.slice(0, nl);
    probeLines = probeLines.slice(nl + 1);
    if (line.startsWith("probe ")) probeWaiters.shift()?.(JSON.parse(line.slice(6)));
  }
});
const askProbe = () =>
  new Promise((resolve) => (probeWaiters.push(resolve), child.kill("SIGUSR2")));
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const expected = Array.from({ length: CHUNKS }, (_, i) => `word${i} `)
  .join("")
  .trim();

console.log(
  `sandbox ${sandbox.url}; ${THREADS} threads streaming at once, ${CHUNKS} pieces ${DELAY_MS} ms apart; ${ROUNDS} rounds; node ${process.version}`,
);
const rss = [rssMb()];
const afterGc = [await askProbe()];
const all = { latency: [], toBot: [], bot: [], toVisible: [], rate: [], gaps: [], calls: [] };
for (let round = 0; round < ROUNDS; round++) {
  const since = sandbox.trafficLog().at(-1)?.seq ?? 0;
  const questions = Array.from({ length: THREADS }, (_, i) =>
    sandbox.post(seed.users.alice.user.id, {
      channel_id: channel.id,
      message: `@todobot q-${round}-${i} go`,
    }),
  );
  const tags = new Map(questions.map((q, i) => [q.id, `q-${round}-${i}`]));
  // done when every answer holds the whole text
  for (const q of questions) {
    for (;;) {
      const answer = sandbox.thread(q.id).find((p) => p.user_id === botId);
      if (answer?.message.trim() === expected) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await new Promise((r) => setTimeout(r, 200));
  const traffic = sandbox
    .trafficLog()
    .filter((e) => e.seq > since && e.user === seed.bot.user.username);
  all.calls.push(traffic.length / THREADS);
  for (const q of questions) {
    all.latency.push(firstVisible.get(q.id) - firstToken.get(tags.get(q.id)));
    const answer = sandbox.thread(q.id).find((p) => p.user_id === botId);
    const times = edits.get(answer.id) ?? [];
    const span = (times.at(-1) - firstVisible.get(q.id)) / 1000;
    if (times.length) all.rate.push(times.length / span);
    for (let i = 1; i < times.length; i++) all.gaps.push(times[i] - times[i - 1]);
  }
  rss.push(rssMb());
  const report = await askProbe();
  afterGc.push(report);
  for (const q of questions) {
    const tag = tags.get(q.id);
    const [token, atBot, posted, visible] = [
      firstToken.get(tag),
      report.modelAt[tag],
      report.postAt[q.id],
      firstVisible.get(q.id),
    ];
    if (atBot === undefined || posted === undefined) continue;
    // performance.now() of this process as ms since the epoch, like the probe's
    all.toBot.push(atBot - (performance.timeOrigin + token));
    all.bot.push(posted - atBot);
    all.toVisible.push(performance.timeOrigin + visible - posted);
  }
  console.log(
    `round ${round + 1}: ${THREADS} answers whole; REST calls by the bot ${traffic.length} (${(traffic.length / THREADS).toFixed(1)} an answer); RSS ${rss.at(-1).toFixed(1)} MB, after a GC ${mb(report.rss)} MB, heap ${mb(report.heapUsed)} MB`,
  );
}
child.kill("SIGTERM");
await new Promise((resolve) => child.once("exit", resolve)); // the CPU profile is written at exit
for (const list of [all.latency, all.toBot, all.bot, all.toVisible, all.gaps])
  list.sort((a, b) => a - b);
const p50p99 = (list) => `p50 ${pct(list, 50).toFixed(1)} ms, p99 ${pct(list, 99).toFixed(1)} ms`;
console.log("");
console.log(
  `first token → first visible post: ${p50p99(all.latency)}   (target ≤ 50 ms for the bot's share)`,
);
console.log(
  `  the model's write → the bot has the chunk:      ${p50p99(all.toBot)}   (loopback; this process's and the bot's event loops)`,
);
console.log(
  `  the bot's share (chunk → POST /posts sent):     ${p50p99(all.bot)}   (${all.bot.length} answers)`,
);
console.log(
  `  POST /posts sent → the sandbox's posted event:  ${p50p99(all.toVisible)}   (loopback; the sandbox, in this process)`,
);
console.log(
  `edits per second per answer: max ${Math.max(...all.rate).toFixed(2)}, shortest gap between two edits ${all.gaps.length ? `${all.gaps[0].toFixed(0)} ms` : "n/a"}   (target ≤ 1 edit/s)`,
);
console.log(
  `REST calls per answer: ${all.calls.map((c) => c.toFixed(1)).join(", ")} by round (create, edits, typing, thread, users)`,
);
console.log(
  `bot RSS: ${rss.map((r) => r.toFixed(1)).join(" → ")} MB (before, then after each round)`,
);
console.log(
  `bot after a GC${afterGc[0].gc ? "" : " (no gc exposed)"}: RSS ${afterGc.map((r) => mb(r.rss)).join(" → ")} MB; heap used ${afterGc.map((r) => mb(r.heapUsed)).join(" → ")} MB`,
);
// the first round warms up (modules, caches, pools): flat means the rounds after it do not grow
const settled = afterGc[1] ?? afterGc[0];
const end = afterGc.at(-1);
const growth = (end.rss - settled.rss) / 1024 / 1024;
const middle = afterGc[Math.floor((afterGc.length - 1) / 2)] ?? settled; // after half the rounds
const lastHalf = (end.rss - middle.rss) / 1024 / 1024;
const signed = (n) => `${n >= 0 ? "+" : ""}${n.toFixed(1)}`;
console.log(
  `RSS over ${THREADS * ROUNDS} answers, after a GC: start ${mb(afterGc[0].rss)} MB, after the first round ${mb(settled.rss)} MB, end ${mb(end.rss)} MB (${signed(growth)} MB since the first round, ${signed(lastHalf)} MB over the last half: ${Math.abs(lastHalf) <= 5 ? "flat" : "NOT flat"}); heap ${mb(settled.heapUsed)} → ${mb(end.heapUsed)} MB`,
);
console.log(
  `first token → first visible text p99 ${pct(all.latency, 99).toFixed(1)} ms, of which the bot's share p99 ${pct(all.bot, 99).toFixed(1)} ms`,
);
await sandbox.close();
model.close();
process.exit(0);
