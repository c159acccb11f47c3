// Figures of the agent's tool calls on the sandbox (the bot in this process, the library's
// agent, a model server here that asks for a tool, then answers): ROUNDS questions one after
// the other.
// - tool round trip overhead: the model's stream with the tool call ends → the model gets the
//   request carrying the tool's result, less the tool's own time (the tool returns at once);
// - approval click → tool started: the same with the tool's policy `ask`, from the click sent
//   to the sandbox to the tool's first line.
//   npm run bench:agent-tools        (ROUNDS=50 questions of each kind)
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bot, HttpSource, WebSocketSource } from "../dist/index.js";
import { agent } from "../dist/apps/agent/index.js";
import { Sandbox } from "../dist/sandbox/index.js";

const ROUNDS = Number(process.env.ROUNDS ?? 50);

const callEnded = new Map(); // question tag → when the stream with the tool call ended
const resultIn = new Map(); // question tag → when the request with the tool result came
const model = createServer(async (req, res) => {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  if (req.method === "GET") return res.end(JSON.stringify({ data: [{ id: "bench-model" }] }));
  const messages = JSON.parse(raw).messages;
  const tag = /q\d+/.exec(messages.findLast((m) => m.role === "user").content)?.[0] ?? "?";
  res.writeHead(200, { "content-type": "text/event-stream" });
  const send = (delta, finish = null) =>
    res.write(
      `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`,
    );
  if (messages.at(-1).role === "tool") {
    resultIn.set(tag, performance.now());
    send({ content: "done" }, "stop");
  } else {
    const name = messages.at(-1).content.includes("ask") ? "guarded" : "instant";
    send(
      {
        tool_calls: [
          { index: 0, id: `c-${tag}`, type: "function", function: { name, arguments: "{}" } },
        ],
      },
      "tool_calls",
    );
  }
  res.end("data: [DONE]\n\n");
  if (messages.at(-1).role !== "tool") callEnded.set(tag, performance.now());
});
await new Promise((resolve) => model.listen(0, "127.0.0.1", resolve));

const sandbox = await Sandbox.start();
const seed = sandbox.seed();
const toolStarted = new Map();
const tool = (name, policy) => ({
  name,
  description: "returns at once",
  parameters: { type: "object", properties: {} },
  policy,
  run: (_args, context) => {
    const tag = currentTag.get(context.rootId);
    toolStarted.set(tag, performance.now());
    return "ok";
  },
});
const currentTag = new Map();
const bot = new Bot({
  url: sandbox.url,
  token: seed.bot.token,
  store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-bench-tools-")), "bot.db")}`,
  policy: { allowedUsers: "*" },
});
bot.use(
  agent({
    url: `http://127.0.0.1:${model.address().port}/v1`,
    model: "bench-model",
    statusReactions: false,
    tools: [tool("instant", "allow"), tool("guarded", "ask")],
  }),
);
await bot.start(
  new WebSocketSource(),
  new HttpSource({ listen: "127.0.0.1:0", actionSecret: "bench-agent-tools-secret" }),
);

const alice = seed.users.alice.user.id;
const waitFor = async (probe) => {
  for (;;) {
    const value = probe();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 2));
  }
};
const overhead = [];
const clickToTool = [];
for (let i = 0; i < ROUNDS * 2; i++) {
  const tag = `q${i}`;
  const ask = i % 2 === 1;
  const question = sandbox.post(alice, {
    channel_id: seed.channels.townSquare.id,
    message: `@todobot ${tag}${ask ? " ask" : ""}`,
  });
  currentTag.set(question.id, tag);
  if (ask) {
    const approval = await waitFor(() =>
      sandbox.thread(question.id).find((p) => p.message.includes("Approval needed")),
    );
    const clicked = performance.now();
    await sandbox.clickAction(alice, approval.id, "agentapprove");
    await waitFor(() => toolStarted.get(tag));
    clickToTool.push(toolStarted.get(tag) - clicked);
  }
  await waitFor(() => resultIn.get(tag));
  if (!ask) overhead.push(resultIn.get(tag) - callEnded.get(tag));
  await waitFor(() => sandbox.thread(question.id).some((p) => p.message.endsWith("done")));
}
const pct = (list, p) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))].toFixed(1);
};
console.log(
  `tool round trip overhead (tool call streamed → result sent back), ${overhead.length} calls: p50 ${pct(overhead, 50)} ms, p99 ${pct(overhead, 99)} ms`,
);
console.log(
  `approval click → tool started, ${clickToTool.length} approvals: p50 ${pct(clickToTool, 50)} ms, p99 ${pct(clickToTool, 99)} ms`,
);
await bot.stop();
await sandbox.close();
model.close();
