// `mmbot start`'s banner says what runs, and the first things to type match it (real child
// processes, the embedded sandbox; the scripted OpenAI-compatible server is the model):
// examples/agent.toml starts as it is against a model server that wants no key.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { askAsAlice, CLI, until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";
import { OpenAiTestServer } from "../helpers/openai-server.js";

const EXAMPLES = new URL("../../examples/", import.meta.url).pathname;
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
});

interface Started {
  url: string;
  stdout: string;
  stderr: () => string;
}

/** `mmbot start` in a fresh directory with the given environment; resolves once its banner is out. */
async function start(args: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [CLI, "start", ...args], {
    cwd: mkdtempSync(join(tmpdir(), "mmbot-banner-")),
    env: { PATH: process.env.PATH, MMBOT_SANDBOX_PORT: "0", MMBOT_LOG_LEVEL: "warn", ...env },
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await until(
    () => (stdout.includes("Press Ctrl-C to stop.") ? true : undefined),
    `the banner (stdout: ${stdout} stderr: ${stderr})`,
    20_000,
  );
  const url = /sandbox Mattermost running at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)![1]!;
  return { url, stdout, stderr: () => stderr };
}

/** alice posts `message` in ~town-square, as a person would; resolves to the bot's reply once it matches `expected`. */
async function ask(url: string, message: string, expected: RegExp): Promise<string> {
  return (await askAsAlice(url, message, expected)).reply.message;
}

describe("mmbot start --config examples/agent.toml", () => {
  let model: OpenAiTestServer;
  beforeAll(async () => {
    model = await OpenAiTestServer.start();
    model.models = ["qwen2.5-7b-instruct"];
    model.otherwise(() => ({ chunks: ["I can answer ", "questions."] }));
  });
  afterAll(() => model.close());

  it("starts as it is against a keyless model server, says it is the agent, and answers with no Authorization header", async () => {
    // the file as it is; only the endpoint moves to the test server's port
    const bot = await start(["--config", join(EXAMPLES, "agent.toml")], {
      MMBOT_AGENT_URL: model.url,
    });
    expect(bot.stdout).toContain(
      `runs the agent: model qwen2.5-7b-instruct at ${model.url}, no key (a mention or a DM goes to the model)`,
    );
    expect(bot.stdout).toContain("runs the todo bot, by its word: @todobot todo add <item>, /todo");
    expect(bot.stdout).toMatch(/@todobot what can you do\? +# the agent answers in a thread/);
    expect(bot.stdout).toMatch(
      /@todobot todo add buy milk +# the todo bot, reached by its word todo/,
    );
    expect(bot.stdout).not.toContain("@todobot add buy milk"); // that would go to the model
    const warnings = bot
      .stderr()
      .split("\n")
      .filter((l) => l.includes("agent.api_key_env"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(
      "agent.api_key_env names OPENAI_API_KEY, which is not set: the requests to",
    );

    expect(await ask(bot.url, "@todobot what can you do?", /I can answer questions\./)).toBe(
      "I can answer questions.",
    );
    expect(model.chats).toHaveLength(1);
    expect(model.chats[0]!.headers.authorization).toBeUndefined();
  });

  it("an empty key variable is no key either", async () => {
    const bot = await start(["--config", join(EXAMPLES, "agent.toml")], {
      MMBOT_AGENT_URL: model.url,
      OPENAI_API_KEY: "",
    });
    expect(bot.stderr()).toContain("agent.api_key_env names OPENAI_API_KEY, which is empty");
    expect(bot.stdout).toContain(", no key (");
  });
});

describe("mmbot start --config examples/mmbot.bridge.toml", () => {
  it("names the todo bot and each command bridge, with what to type", async () => {
    const bot = await start(["--config", join(EXAMPLES, "mmbot.bridge.toml")], {
      MMBOT_HTTP_LISTEN: `127.0.0.1:${await freePort()}`,
    });
    expect(bot.stdout).toContain("runs the todo bot: @todobot add <item>, list, done <n>, or a DM");
    expect(bot.stdout).toContain(
      "runs the command bridge tasks: @todobot tasks …, /tasks …, tasks … (outgoing webhook) runs node",
    );
    expect(bot.stdout).toContain("runs the command bridge disk: @todobot disk … runs df");
    expect(bot.stdout).toMatch(/@todobot add buy milk +# in a channel, mention the bot/);
    expect(bot.stdout).toMatch(/@todobot tasks +# runs node \(bridge\)/);
    expect(bot.stdout).not.toContain("runs the agent");
  });
});
