// Polling's cost and speed on the sandbox: the todo bot with a PollingSource (in process) in a
// team of CHANNELS channels plus a DM. Prints the bot's GET requests per round idle and with
// posts in 1 and in 5 channels each round (from the sandbox's traffic log; a round is one
// channel listing), and the latency post → answer over LATENCY_MESSAGES posts made at random
// moments of the interval.
//   npm run bench:polling     (INTERVAL_MS=2000 CHANNELS=10 ROUNDS=10 LATENCY_MESSAGES=20 to change)
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bot, PollingSource } from "../dist/index.js";
import { todo } from "../dist/apps/todo/index.js";
import { Sandbox } from "../dist/sandbox/index.js";

const INTERVAL_MS = Number(process.env.INTERVAL_MS ?? 2_000);
const CHANNELS = Number(process.env.CHANNELS ?? 10);
const ROUNDS = Number(process.env.ROUNDS ?? 10);
const LATENCY_MESSAGES = Number(process.env.LATENCY_MESSAGES ?? 20);

const sandbox = await Sandbox.start();
const seed = sandbox.seed();
const alice = seed.users.alice.user.id;
const channels = [];
for (let i = 0; i < CHANNELS; i++) {
  const channel = sandbox.createChannel({ team_id: seed.team.id, name: `poll-${i}` });
  sandbox.addToChannel(channel.id, alice);
  sandbox.addToChannel(channel.id, seed.bot.user.id);
  channels.push(channel);
}
const dm = sandbox.directChannel(alice, seed.bot.user.id);

const bot = new Bot({
  url: sandbox.url,
  token: seed.bot.token,
  store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-bench-polling-")), "bot.db")}`,
  policy: { allowedUsers: "*" },
});
bot.use(todo());
await bot.start(new PollingSource({ intervalMs: INTERVAL_MS }));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const lastSeq = () => sandbox.trafficLog().at(-1)?.seq ?? 0;
const botGets = (from) =>
  sandbox
    .trafficLog()
    .filter(
      (e) =>
        e.seq > from && e.kind === "api" && e.user === seed.bot.user.username && e.method === "GET",
    );
const isListing = (e) => /\/users\/me\/teams\/[^/]+\/channels$/.test(e.url);

/** GET requests per round over `rounds` rounds, `work()` run once a round. */
async function perRound(rounds, work) {
  await sleep(INTERVAL_MS * 1.5);
  const from = lastSeq();
  for (let i = 0; i < rounds; i++) {
    work(i);
    await sleep(INTERVAL_MS);
  }
  const gets = botGets(from);
  const listings = gets.filter(isListing).length;
  const reads = gets.filter((e) => e.url.includes("/posts?since=")).length;
  return {
    rounds: listings,
    perRound: +(gets.length / listings).toFixed(2),
    readsPerRound: +(reads / listings).toFixed(2),
    other: gets.length - listings - reads,
  };
}

const say = (channelId, message) => sandbox.post(alice, { channel_id: channelId, message });
const idle = await perRound(ROUNDS, () => {});
const oneChannel = await perRound(ROUNDS, (i) => say(channels[0].id, `@todobot add one ${i}`));
const fiveChannels = await perRound(ROUNDS, (i) =>
  channels.slice(0, 5).forEach((c, j) => say(c.id, `@todobot add five ${i}.${j}`)),
);

const latencies = [];
for (let i = 0; i < LATENCY_MESSAGES; i++) {
  await sleep(Math.random() * INTERVAL_MS);
  const channel = i % 4 === 0 ? dm : channels[i % CHANNELS];
  const post = say(channel.id, `${channel === dm ? "" : "@todobot "}add latency ${i}`);
  const reply = await sandbox.waitForPost(
    (p) => p.user_id === seed.bot.user.id && p.root_id === post.id,
    { timeoutMs: INTERVAL_MS + 5_000 },
  );
  latencies.push(reply.create_at - post.create_at);
}
latencies.sort((a, b) => a - b);
const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];

await bot.stop();
await sandbox.close();
console.log(
  JSON.stringify(
    {
      intervalMs: INTERVAL_MS,
      channels: CHANNELS + 1,
      teams: 1,
      requestsPerRound: { idle, postsInOneChannel: oneChannel, postsInFiveChannels: fiveChannels },
      latencyMs: {
        messages: latencies.length,
        p50: pick(0.5),
        p99: pick(0.99),
        max: latencies.at(-1),
      },
    },
    null,
    2,
  ),
);
