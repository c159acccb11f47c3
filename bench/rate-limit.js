// The rate budget under a server's rate limit: `mmbot start` (a child process, the todo bot)
// against a server limited to PER_SEC requests/s per user (burst MAX_BURST), two users sending
// RATE mentions/s in all, MESSAGES messages. Prints the 429s the server gave the bot, answered,
// duplicates, the duration (first mention sent → last answer created) and the ideal duration the
// limit allows: the bot's REST calls the server accepted during the run (calls per message ×
// messages) ÷ PER_SEC, and never less than the time the mentions take to send; and the floor of
// one call (the reply) per message ÷ PER_SEC.
// The bot talks to the server through a counting proxy in this process (HTTP and the WebSocket
// upgrade), which is how its 429s are counted, whatever the server.
//   npm run bench:rate-limit                       (the sandbox, limited to 5/s burst 5)
//   BUDGET=0 npm run bench:rate-limit              (the budget off: MATTERMOST_MAX_REQUESTS_PER_SECOND=0)
//   MMBOT_CLI=<other checkout>/dist/service/cli/main.js …       (another build of mmbot start, e.g. main's)
//   SERVER_URL=http://127.0.0.1:8066 BOT_TOKEN=… USER_TOKENS=alice…,bob… WATCH_TOKEN=… CHANNEL_ID=… BOT_USER_ID=…
//                                                  (a real server: its own rate limit, nothing set here)
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "../dist/sandbox/index.js";

const MESSAGES = Number(process.env.MESSAGES ?? 100);
const RATE = Number(process.env.RATE ?? 8);
const PER_SEC = Number(process.env.PER_SEC ?? 5);
const MAX_BURST = Number(process.env.MAX_BURST ?? 5);
const BUDGET = process.env.BUDGET; // unset: mmbot's default
const CLI =
  process.env.MMBOT_CLI ?? new URL("../dist/service/cli/main.js", import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the server: the sandbox with the limit, or a real one given by the environment
let sandbox;
let server;
if (process.env.SERVER_URL) {
  const [alice, bob] = (process.env.USER_TOKENS ?? "").split(",");
  server = {
    url: process.env.SERVER_URL,
    botToken: process.env.BOT_TOKEN,
    botUserId: process.env.BOT_USER_ID,
    users: [alice, bob],
    watchToken: process.env.WATCH_TOKEN,
    channelId: process.env.CHANNEL_ID,
  };
} else {
  sandbox = await Sandbox.start({ rateLimit: { perSec: PER_SEC, maxBurst: MAX_BURST } });
  const seed = sandbox.seed();
  const watcher = sandbox.createUser({ username: "watcher" });
  sandbox.addToTeam(seed.team.id, watcher.user.id);
  sandbox.addToChannel(seed.channels.ops.id, watcher.user.id);
  server = {
    url: sandbox.url,
    botToken: seed.bot.token,
    botUserId: seed.bot.user.id,
    users: [seed.users.alice.token, seed.users.bob.token],
    watchToken: watcher.token,
    channelId: seed.channels.ops.id,
  };
}
const target = new URL(server.url);

// ---- the counting proxy: every answer the server gave the bot, by status
const counts = { accepted: 0, refused: 0, other: 0, byPath: new Map() };
let counting = false;
const proxy = http.createServer((req, res) => {
  const upstream = http.request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
    },
    (answer) => {
      if (counting) {
        if (answer.statusCode === 429) counts.refused++;
        else if (answer.statusCode < 400) counts.accepted++;
        else counts.other++;
        const key = `${req.method} ${req.url.split("?")[0].replace(/[a-z0-9]{26}/g, ":id")} ${answer.statusCode}`;
        counts.byPath.set(key, (counts.byPath.get(key) ?? 0) + 1);
      }
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on("error", () => res.destroy());
  req.pipe(upstream);
});
proxy.on("upgrade", (req, socket, head) => {
  const upstream = net.connect(Number(target.port), target.hostname, () => {
    upstream.write(
      `${req.method} ${req.url} HTTP/1.1\r\n${Object.entries({ ...req.headers, host: target.host })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("")}\r\n`,
    );
    upstream.write(head);
    socket.pipe(upstream).pipe(socket);
  });
  upstream.on("error", () => socket.destroy());
  socket.on("error", () => upstream.destroy());
});
await new Promise((resolve) => proxy.listen(0, "127.0.0.1", resolve));
const proxyUrl = `http://127.0.0.1:${proxy.address().port}`;

// ---- the bot
const store = `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-rate-limit-")), "bot.db")}`;
const env = {
  ...process.env,
  MATTERMOST_URL: proxyUrl,
  MATTERMOST_BOT_TOKEN: server.botToken,
  DATABASE_URL: store,
  MMBOT_POLICY_ALLOWED_USERS: "*",
  MMBOT_LOG_LEVEL: "info",
  MMBOT_LOG_FORMAT: "json",
};
if (BUDGET !== undefined) env.MATTERMOST_MAX_REQUESTS_PER_SECOND = BUDGET;
const child = spawn(process.execPath, [CLI, "start"], { env, stdio: ["ignore", "pipe", "pipe"] });
const lines = [];
for (const stream of [child.stdout, child.stderr]) {
  let rest = "";
  stream.on("data", (chunk) => {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop();
    lines.push(...parts);
  });
}
child.on(
  "exit",
  (code) =>
    code && console.error(`mmbot start exited with ${code}:\n${lines.slice(-20).join("\n")}`),
);
for (let i = 0; !lines.some((l) => l.includes("connected as")); i++) {
  if (i > 300) throw new Error(`mmbot start did not connect:\n${lines.join("\n")}`);
  await sleep(100);
}
await sleep(3_000); // the bot's start-up calls are done and the server's buckets are full again

// ---- the users: RATE mentions a second in all, taking turns, over REST
const api = (token, method, path, body) =>
  fetch(`${server.url}/api/v4${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body && JSON.stringify(body),
  });
const run = Date.now().toString(36);
const asked = new Map(); // post id → index
let userRefusals = 0;
counting = true;
const startedAt = Date.now();
await Promise.all(
  Array.from({ length: MESSAGES }, async (_, i) => {
    await sleep(startedAt + (i * 1000) / RATE - Date.now());
    for (;;) {
      const answer = await api(server.users[i % 2], "POST", "/posts", {
        channel_id: server.channelId,
        message: `@todobot add rate ${run} ${i}`,
      });
      if (answer.status === 429) {
        userRefusals++;
        await sleep(250);
        continue;
      }
      const post = await answer.json();
      asked.set(post.id, i);
      return;
    }
  }),
);
const sentAt = Date.now();

// ---- the answers: read (by a third user, its own bucket) until every message has one, or 120 s
const replies = new Map(); // root id → bot posts
for (let quiet = 0; ; ) {
  const answer = await api(
    server.watchToken,
    "GET",
    `/channels/${server.channelId}/posts?since=${startedAt - 1000}`,
  );
  if (answer.status === 200) {
    const list = await answer.json();
    replies.clear();
    for (const post of Object.values(list.posts)) {
      if (post.user_id === server.botUserId && asked.has(post.root_id) && post.delete_at === 0)
        replies.set(post.root_id, [...(replies.get(post.root_id) ?? []), post]);
    }
  }
  if (replies.size >= asked.size) quiet++;
  if (quiet >= 4 || Date.now() - sentAt > 120_000) break; // 2 s more after the last, for duplicates to show
  await sleep(500);
}
counting = false;

const answered = replies.size;
const duplicates = [...replies.values()].reduce((n, posts) => n + posts.length - 1, 0);
const lastAnswer = Math.max(...[...replies.values()].flat().map((p) => p.create_at));
const duration = (lastAnswer - startedAt) / 1000;
const callsPerMessage = counts.accepted / MESSAGES;
const ideal = Math.max(counts.accepted / PER_SEC, (MESSAGES - 1) / RATE);
const waitLogs = lines.filter((l) => l.includes("wait for the rate budget")).length;

console.log(
  `server ${sandbox ? `sandbox, limited to ${PER_SEC}/s per user, burst ${MAX_BURST}` : `${server.url} (its own limit; PER_SEC=${PER_SEC} assumed for the ideal)`}; mmbot start ${CLI === new URL("../dist/service/cli/main.js", import.meta.url).pathname ? "(this checkout)" : CLI}; budget ${BUDGET ?? "default"}`,
);
console.log(
  `${MESSAGES} mentions from 2 users at ${RATE}/s in all (${userRefusals} of the users' posts refused and sent again)`,
);
console.log(`refusals (429s the server gave the bot): ${counts.refused}`);
console.log(`answered: ${answered}/${MESSAGES}, duplicates: ${duplicates}`);
console.log(
  `the bot's accepted REST calls: ${counts.accepted} (${callsPerMessage.toFixed(2)} per message), other errors: ${counts.other}`,
);
console.log(
  `duration: ${duration.toFixed(1)} s (first mention sent → last answer); ideal: ${ideal.toFixed(1)} s (= max(calls ${counts.accepted} ÷ ${PER_SEC}/s, sending ${((MESSAGES - 1) / RATE).toFixed(1)} s)); ${((duration / ideal) * 100).toFixed(0)} % of ideal`,
);
console.log(
  `  floor with one call per message (the reply): ${(MESSAGES / PER_SEC).toFixed(1)} s; ${((duration / (MESSAGES / PER_SEC)) * 100).toFixed(0)} % of it (the server's burst of ${MAX_BURST} + 1 can beat either by ~${((MAX_BURST + 1) / PER_SEC).toFixed(1)} s)`,
);
console.log(`"wait for the rate budget" log lines: ${waitLogs}`);
if (process.env.VERBOSE)
  for (const [key, n] of [...counts.byPath].sort()) console.log(`  ${n}\t${key}`);
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
proxy.close();
await sandbox?.close();
process.exit(0);
