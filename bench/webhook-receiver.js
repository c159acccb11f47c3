// Throughput of the bot's HTTP receiver: a Bot (a child process, so its RSS is its own) with
// `http` on and a trivial slash handler answering inline; autocannon sends it a recorded-shape
// slash command request (test/fixtures/mattermost/integrations/slash-command.json) over 64
// connections for 10 s. A second run sends an outgoing webhook (outgoing-webhook-json-in-thread)
// for one post: the first copy is read over REST and handled, every later one is recognised as
// handled already and acknowledged at once — what happens to most webhooks in production, where
// the WebSocket delivers the post first. A third run sends a webhook for a new post each time (in
// a channel the bot is not in, so only the webhook brings it): read over REST, claimed in the
// store, handled by a handler that does nothing. Prints requests/s, p50/p99 latency, errors/non-2xx, the bot's RSS,
// and the bot's CPU time per request (steadier than requests/s on a shared, busy machine).
//   npm run bench:webhook           (CONNECTIONS=64 DURATION=10 to change the load;
//                                    RUNS=slash,webhook,fresh chooses the runs, in order;
//                                    CPU_PROF=<dir> writes the bot's .cpuprofile there)
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 64);
const DURATION = Number(process.env.DURATION ?? 10);
const SLASH_TOKEN = "benchslashtokenbenchslash1";
const HOOK_TOKEN = "benchhooktokenbenchhookto1";
const FRESH_POSTS = Number(process.env.FRESH_POSTS ?? 40_000);
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

if (process.argv[2] === "--bot") await runBot();
else await main();

/** The child: a bot on the sandbox given in the environment, printing its receiver's URL. */
async function runBot() {
  const { Bot, HttpSource, WebSocketSource } = await import("../dist/index.js");
  const bot = new Bot({
    url: process.env.BENCH_SANDBOX_URL,
    token: process.env.BENCH_BOT_TOKEN,
    store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-bench-http-")), "bot.db")}`,
    policy: { allowedUsers: "*" },
    triggerWords: ["!bench"],
  });
  const http = new HttpSource({
    listen: "127.0.0.1:0",
    tokens: { slash: [SLASH_TOKEN], outgoingWebhook: [HOOK_TOKEN] },
  });
  bot.slash("/bench", (ctx) => ctx.respond({ text: `ok: ${ctx.text}` }));
  bot.use(() => undefined); // the webhook's post: handled, nothing answered
  await bot.start(new WebSocketSource(), http);
  process.stdout.write(`${JSON.stringify({ url: http.publicUrl })}\n`);
  process.on("SIGTERM", () => void bot.stop().then(() => process.exit(0)));
}

async function main() {
  const { Sandbox } = await import("../dist/sandbox/index.js");
  const sandbox = await Sandbox.start();
  const seed = sandbox.seed();
  const alice = seed.users.alice.user;
  const ops = seed.channels.ops;

  const profile = process.env.CPU_PROF
    ? ["--cpu-prof", `--cpu-prof-dir=${process.env.CPU_PROF}`]
    : [];
  // posts the bot has not seen (it is not in ~off-topic, so no WebSocket event): one per webhook
  const offTopic = seed.channels.offTopic;
  const freshPosts = [];
  for (let i = 0; i < FRESH_POSTS; i++)
    freshPosts.push(
      sandbox.post(alice.id, { channel_id: offTopic.id, message: `!bench item ${i}` }),
    );

  const child = spawn(process.execPath, [...profile, new URL(import.meta.url).pathname, "--bot"], {
    env: { ...process.env, BENCH_SANDBOX_URL: sandbox.url, BENCH_BOT_TOKEN: seed.bot.token },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const { url } = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]));
    });
    child.on("exit", (code) => reject(new Error(`the bot exited with ${code}`)));
  });
  process.on("exit", () => child.kill("SIGKILL")); // never leave the bot behind, even on a failure
  const idleRss = rssMb(child.pid);
  console.log(
    `bot receiver ${url} (pid ${child.pid}); ${CONNECTIONS} connections, ${DURATION} s per run; node ${process.version}, ${(await import("node:os")).cpus().length} cores`,
  );

  // the recorded request's fields, in its order, with this sandbox's ids
  const slashBody = new URLSearchParams({
    channel_id: ops.id,
    channel_name: "ops",
    command: "/bench",
    response_url: `${sandbox.url}/hooks/commands/dk5bmxrftfdp7c9mux3dupw3zh`,
    team_domain: "acme",
    team_id: seed.team.id,
    text: "list",
    token: SLASH_TOKEN,
    trigger_id:
      "enhrdGJtbmFoaXlvZGQxY2tlZ2lxbndxbWg6cDR4OTNhY2FmajhnaWozMTRjcWJwN2dzb2U6MTc5NTQ5Nzc4NDIxMzpNRVVDSVFENHFVczh5UTNSWmZkSzVxRUhLbGlNV1hjUjEvL0NpT2hJZ0hmdEovZjhMZ0lnU3lMak5EMnJwYkhKMlY1aWhNd0drbmtCbjEyTEtxcVMrY05yTjFnRkM0UT0=",
    user_id: alice.id,
    user_name: "alice",
  }).toString();
  const slashHeaders = {
    "user-agent": "Mattermost-Bot/1.1",
    accept: "application/json",
    authorization: `Token ${SLASH_TOKEN}`,
    "content-type": "application/x-www-form-urlencoded",
  };

  const hookBody = (post, channel) =>
    JSON.stringify({
      token: HOOK_TOKEN,
      team_id: seed.team.id,
      team_domain: "acme",
      channel_id: channel.id,
      channel_name: channel.name,
      timestamp: post.create_at,
      user_id: alice.id,
      user_name: "alice",
      post_id: post.id,
      text: post.message,
      trigger_word: "!bench",
      file_ids: "",
    });
  const hookHeaders = {
    "user-agent": "Mattermost-Bot/1.1",
    accept: "application/json",
    "content-type": "application/json",
  };
  const seen = sandbox.post(alice.id, { channel_id: ops.id, message: "!bench list" });
  const seenBody = hookBody(seen, ops);
  const fresh = freshPosts.map((post) => hookBody(post, offTopic));

  // every answer is checked once before measuring: a benchmark of refusals measures nothing
  await expectOk(
    `${url}/slash`,
    slashHeaders,
    slashBody,
    '{"response_type":"ephemeral","text":"ok: list"}',
  );
  await expectOk(`${url}/hooks/outgoing`, hookHeaders, seenBody, "{}");
  await expectOk(`${url}/hooks/outgoing`, hookHeaders, fresh.pop(), "{}");

  await load(`${url}/slash`, slashHeaders, slashBody, 2, child.pid); // warm-up
  const runs = {
    slash: {
      label: "slash command, answered inline",
      path: "/slash",
      headers: slashHeaders,
      body: slashBody,
    },
    webhook: {
      label: "outgoing webhook, post already handled",
      path: "/hooks/outgoing",
      headers: hookHeaders,
      body: seenBody,
    },
    fresh: {
      label: "outgoing webhook, a new post each time",
      path: "/hooks/outgoing",
      headers: hookHeaders,
      bodies: fresh,
    },
  };
  const rss = [`${idleRss.toFixed(1)} MB idle`];
  let slash;
  for (const name of (process.env.RUNS ?? "slash,webhook,fresh").split(",")) {
    const run = runs[name];
    if (!run) throw new Error(`RUNS: unknown run ${name}; expected slash, webhook or fresh`);
    const result = await load(
      `${url}${run.path}`,
      run.headers,
      run.bodies ?? run.body,
      DURATION,
      child.pid,
    );
    report(run.label, result);
    slash ??= name === "slash" ? result : undefined;
    rss.push(`${rssMb(child.pid).toFixed(1)} MB after the ${name} run`);
  }

  console.log("");
  if (slash) {
    const capacity = 1e6 / slash.botCpuMicrosPerRequest;
    console.log(
      `slash commands:     ${slash.requests.average.toFixed(0)} req/s   (target ≥ 8,000); the bot's CPU per request allows ${capacity.toFixed(0)} req/s on one free core`,
    );
  }
  console.log(`bot RSS:            ${rss.join(", ")} (peak ${peakRssMb(child.pid).toFixed(1)} MB)`);
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  await sandbox.close();
  process.exit(0);
}

/** `body`: the same for every request, or a list taken in turn (past its end, from the start again). */
async function load(url, headers, body, seconds, pid) {
  const cpuBefore = cpuSeconds(pid);
  const bodies = Array.isArray(body) ? body : undefined;
  let next = 0;
  const requests = bodies && [
    { setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }) },
  ];
  const result = await autocannon({
    url,
    method: "POST",
    headers,
    body: bodies ? undefined : body,
    requests,
    connections: CONNECTIONS,
    duration: seconds,
  });
  result.botCpuMicrosPerRequest = ((cpuSeconds(pid) - cpuBefore) * 1e6) / result.requests.total;
  return result;
}

/** User + system CPU time the process has used. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime, stime
}

function report(label, r) {
  const failed = r.errors + r.timeouts + r.non2xx;
  console.log(
    `${label.padEnd(40)} ${r.requests.average.toFixed(0).padStart(6)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, ` +
      `bot CPU ${r.botCpuMicrosPerRequest.toFixed(0)} µs/request, ${r.requests.total} requests, errors ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}${failed ? "  ← FAILURES" : ""}`,
  );
}

async function expectOk(url, headers, body, expected) {
  const response = await fetch(url, { method: "POST", headers, body });
  const text = await response.text();
  if (response.status !== 200 || text !== expected)
    throw new Error(`${url} answered ${response.status} ${text}; expected 200 ${expected}`);
}

function rssMb(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
}

function peakRssMb(pid) {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]) / 1024;
}
