/**
 * `[agent]` in the service: the configuration (names, errors naming the key), `mmbot start`'s
 * wiring (bridges win, the todo app only through the word todo, the rest to the model) and
 * `mmbot doctor`'s endpoint check, against the sandbox and the test model server.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentApiKey, agentKeyWarning, loadConfig } from "../../src/service/config.js";
import { silentLogger } from "../../src/log.js";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { checkAgentEndpoint } from "../../src/service/agent-check.js";
import { botFromConfig, type ServiceBot } from "../../src/service/bot-from-config.js";
import { until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";
import { OpenAiTestServer } from "../helpers/openai-server.js";

function configFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mmbot-agent-"));
  const path = join(dir, "mmbot.toml");
  writeFileSync(path, content.replaceAll("{dir}", dir));
  return path;
}

const AGENT = `[agent]\nurl = "http://127.0.0.1:8080/v1"\nmodel = "qwen2.5-7b-instruct"\n`;

describe("[agent] configuration", () => {
  it("reads the keys of the issue, with defaults, and the key from the variable api_key_env names", () => {
    const path = configFile(
      `${AGENT}api_key_env = "MY_KEY"\nsystem_prompt = "Be brief."\ntemperature = 0.2\nmax_tokens = 500\ntimeout_seconds = 30\nhistory_max_tokens = 4000\nfollow_threads_minutes = 15\nallowed_users = ["alice"]\nchannels = ["ops"]\n`,
    );
    const config = loadConfig({ path, env: { MY_KEY: "sk-abc" } });
    expect(config.agent).toMatchObject({
      model: "qwen2.5-7b-instruct",
      api_key_env: "MY_KEY",
      temperature: 0.2,
      max_tokens: 500,
      timeout_seconds: 30,
      history_max_tokens: 4000,
      follow_threads_minutes: 15,
      allowed_users: ["alice"],
      channels: ["ops"],
    });
    expect(JSON.stringify(config)).not.toContain("sk-abc"); // the key is not kept in the configuration
    expect(agentApiKey(config, { MY_KEY: "sk-abc" })).toBe("sk-abc");
    const defaults = loadConfig({ path: configFile(AGENT), env: {} }).agent!;
    expect(defaults).toMatchObject({
      timeout_seconds: 120,
      history_max_tokens: 6000,
      follow_threads_minutes: 60,
      allowed_users: "*",
      system_prompt: "",
    });
    expect(loadConfig({ path: "/none", env: {} }).agent).toBeUndefined();
    expect(
      loadConfig({
        path: "/none",
        env: {
          MMBOT_AGENT_URL: "http://h/v1",
          MMBOT_AGENT_MODEL: "m",
          MMBOT_AGENT_TEMPERATURE: "0.5",
        },
      }).agent,
    ).toMatchObject({ url: "http://h/v1", model: "m", temperature: 0.5 });
  });

  it("loads examples/agent.toml", () => {
    const config = loadConfig({
      path: join(import.meta.dirname, "../../examples/agent.toml"),
      env: { OPENAI_API_KEY: "sk-x" },
    });
    expect(config.agent).toMatchObject({
      url: "http://127.0.0.1:8080/v1",
      api_key_env: "OPENAI_API_KEY",
      follow_threads_minutes: 60,
    });
  });

  it("stops the start naming the key: a missing model, a bad URL, a key where a name belongs, an unset variable", () => {
    expect(() =>
      loadConfig({ path: configFile(`[agent]\nurl = "http://h/v1"\n`), env: {} }),
    ).toThrow(/agent\.model is missing.*\n.*example: model = /);
    expect(() =>
      loadConfig({ path: configFile(`[agent]\nurl = "h:8080"\nmodel = "m"\n`), env: {} }),
    ).toThrow(/agent\.url = "h:8080": expected an http/);
    expect(() =>
      loadConfig({ path: configFile(`${AGENT}api_key_env = "sk-123-abc"\n`), env: {} }),
    ).toThrow(/agent\.api_key_env = "sk-123-abc": expected the NAME of an environment variable/);
    // a variable unset or empty is no error (a local model server needs no key): a warning at start
    const unset = loadConfig({
      path: configFile(`${AGENT}api_key_env = "NOT_SET_HERE"\n`),
      env: {},
    });
    expect(agentApiKey(unset, {})).toBeUndefined();
    expect(agentKeyWarning(unset, {})).toMatch(
      /^agent\.api_key_env names NOT_SET_HERE, which is not set: the requests to .* go without an Authorization header/,
    );
    expect(agentKeyWarning(unset, { NOT_SET_HERE: "" })).toMatch(/which is empty/);
    expect(agentKeyWarning(unset, { NOT_SET_HERE: "sk-1" })).toBeUndefined();
    expect(() => loadConfig({ path: configFile(`${AGENT}temperature = 5\n`), env: {} })).toThrow(
      /agent\.temperature = 5: expected at most 2/,
    );
  });
});

describe("mmbot start with [agent]", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  let model: OpenAiTestServer;
  let service: ServiceBot;

  beforeAll(async () => {
    model = await OpenAiTestServer.start();
    model.otherwise((r) => ({ chunks: ["model: ", r.body.messages?.at(-1)?.content ?? ""] }));
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
    const port = await freePort();
    const path = configFile(
      `[store]\nurl = "sqlite:{dir}/bot.db"\n[http]\nlisten = "127.0.0.1:${port}"\ntrigger_words = ["todo"]\n[agent]\nurl = "${model.url}"\nmodel = "test-model"\n[[bridge]]\ncommand = "hello"\nprogram = "echo"\nargs = ["hello from the bridge"]\n`,
    );
    const config = loadConfig({ path, env: {} });
    service = await botFromConfig(
      config,
      { url: sandbox.url, token: seed.bot.token, allowedUsers: "*" },
      silentLogger(),
    );
    await service.bot.start(...service.sources);
  });
  afterAll(async () => {
    await service.bot.stop();
    await sandbox.close();
    await model.close();
  });

  const answer = (question: Post, pattern: RegExp) =>
    until(
      () =>
        sandbox
          .thread(question.id)
          .find((p) => p.user_id === seed.bot.user.id && pattern.test(p.message)),
      `an answer matching ${pattern}`,
      5_000,
    );
  const ask = (message: string) =>
    sandbox.post(seed.users.alice.user.id, { channel_id: seed.channels.ops.id, message });

  it("sends a mention to the model, todo through the word todo, and a bridge command to the bridge", async () => {
    await answer(
      ask("@todobot what is the capital of France?"),
      /^model: alice: what is the capital of France\?$/,
    );
    await answer(ask("@todobot todo add buy milk"), /Added #1: buy milk/);
    await answer(ask("@todobot hello"), /hello from the bridge/);
    await answer(ask("todo add eggs"), /Added #2: eggs/); // the trigger word todo, without a mention
    expect(model.chats.map((r) => r.body.messages?.at(-1)?.content)).toEqual([
      "alice: what is the capital of France?",
    ]);
    expect(model.chats[0]!.headers.authorization).toBeUndefined(); // no api_key_env: no Authorization header
  });
});

describe("mmbot doctor's agent check", () => {
  let model: OpenAiTestServer;
  const section = (over: Record<string, unknown> = {}) => ({
    ...loadConfig({
      path: configFile(`[agent]\nurl = "${model.url}"\nmodel = "test-model"\n`),
      env: {},
    }).agent!,
    ...over,
  });

  beforeAll(async () => {
    model = await OpenAiTestServer.start();
  });
  afterAll(() => model.close());

  it("passes when the endpoint answers, accepts the key and lists the model", async () => {
    model.requiredKey = "sk-doctor-key";
    const result = await checkAgentEndpoint(section({ api_key_env: "K" }), "sk-doctor-key");
    expect(result).toMatchObject({ ok: true });
    expect(result.label).toContain("lists the model test-model");
    expect(model.requests.at(-1)!.path).toBe("/models");
  });

  it("says what fails: the key refused, the model not listed, the endpoint unreachable — never printing the key", async () => {
    model.requiredKey = "sk-doctor-key";
    const refused = await checkAgentEndpoint(section({ api_key_env: "K" }), "sk-wrong-key");
    expect(refused).toMatchObject({
      ok: false,
      label: expect.stringMatching(/refused the key \(HTTP 401\)/),
      fix: expect.stringMatching(/variable K/),
    });
    expect(JSON.stringify(refused)).not.toContain("sk-wrong-key");
    model.requiredKey = undefined;
    const missing = await checkAgentEndpoint(section({ model: "gpt-9" }), undefined);
    expect(missing).toMatchObject({
      ok: false,
      label: expect.stringMatching(/does not list the model gpt-9 \(it lists: test-model\)/),
      fix: expect.stringMatching(/agent\.model/),
    });
    const away = await checkAgentEndpoint(section({ url: "http://127.0.0.1:9/v1" }), undefined);
    expect(away).toMatchObject({
      ok: false,
      label: expect.stringMatching(/cannot be reached/),
      fix: expect.stringMatching(/agent\.url/),
    });
  });
});

describe("examples/agent-mcp.toml", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  let model: OpenAiTestServer;
  let service: ServiceBot;

  beforeAll(async () => {
    model = await OpenAiTestServer.start();
    model.otherwise(() => ({ chunks: ["Done."] }));
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
    const config = loadConfig({
      path: join(import.meta.dirname, "../../examples/agent-mcp.toml"),
      env: {},
    });
    // as it is, but for the model (the test server) and a free port for the receiver
    config.agent!.url = model.url;
    config.http!.listen = `127.0.0.1:${await freePort()}`;
    config.store.url = `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-agent-mcp-")), "bot.db")}`;
    service = await botFromConfig(
      config,
      { url: sandbox.url, token: seed.bot.token, allowedUsers: "*" },
      silentLogger(),
    );
    await service.bot.start(...service.sources);
  }, 60_000);
  afterAll(async () => {
    await service?.bot.stop();
    await sandbox?.close();
    await model?.close();
  });

  it("starts the filesystem MCP server on examples/: the model lists the folder at once, and a write asks for approval", async () => {
    model.next(
      {
        chunks: [],
        toolCalls: [
          {
            id: "ls1",
            name: "fs__list_directory",
            arguments: JSON.stringify({ path: join(import.meta.dirname, "../../examples") }),
          },
        ],
      },
      { chunks: ["Listed."] },
      {
        chunks: [],
        toolCalls: [
          {
            id: "w1",
            name: "fs__write_file",
            arguments: '{"path":"examples/never-written.txt","content":"x"}',
          },
        ],
      },
    );
    const question = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.townSquare.id,
      message: "@todobot what is in the folder?",
    });
    const listed = await model.waitForRequest(
      (r) => r.body.messages?.some((m) => m.role === "tool") ?? false,
      20_000,
    );
    const names = (listed.body.tools as { function: { name: string } }[]).map(
      (t) => t.function.name,
    );
    expect(names).toContain("fs__write_file");
    expect(names).not.toContain("fs__move_file");
    expect(listed.body.messages?.find((m) => m.role === "tool")?.content).toContain(
      "agent-mcp.toml",
    );
    const second = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.townSquare.id,
      message: "@todobot write a file",
    });
    const approval = await until(
      () =>
        sandbox
          .thread(second.id)
          .find((p) => p.user_id === seed.bot.user.id && p.message.includes("Approval needed")),
      "the approval post",
      10_000,
    );
    expect(approval.message).toContain("@alice, @admin may approve or deny it below");
    await until(
      () => sandbox.thread(question.id).find((p) => p.message.includes("Listed.")),
      "the first answer",
      5_000,
    );
  }, 60_000);
});
