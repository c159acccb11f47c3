#!/usr/bin/env node
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig, type Config } from "./config.js";
import type { DoctorTarget } from "./doctor.js";
import { botFromConfig } from "./service/bot-from-config.js";
import { firstStopSignal, STOP_GRACE_MS } from "./service/stop-signals.js";
import type { HttpSourceOptions } from "./sources/http.js";
import { MattermostApiError, MmbotError } from "./errors.js";
import { createLogger, type Logger } from "./log.js";
import { MattermostClient } from "./mattermost/rest.js";
import type { Sandbox } from "./sandbox/index.js";
import type { MessagePayload } from "./send.js";

const USAGE = `mmbot — Mattermost bots

Usage:
  mmbot start  [--config mmbot.toml] [--fresh]
                                       run the todo bot (against the built-in sandbox when no server is
                                       configured, kept in data/sandbox.db; --fresh starts it empty)
  mmbot chat   [--user alice] [--channel town-square] [--url URL] [--token TOKEN]
                                       chat in a terminal as a sandbox user (or with a personal access token)
  mmbot doctor [--config mmbot.toml] [--token TOKEN]
                                       check the configuration against the server (the integrations
                                       with --token or MMBOT_ADMIN_TOKEN when the bot may not list them)
  mmbot setup  [--config mmbot.toml] [--token TOKEN]
                                       register the declared slash commands and outgoing webhooks
                                       (token: --token, MMBOT_ADMIN_TOKEN, else the bot's)
  mmbot send   --webhook URL [TEXT…]    post through an incoming webhook
  mmbot send   --channel NAME [--team T] [--root POST_ID] [TEXT…]
                                       post as the bot through the REST API (NAME, channel id or @user)
               [--json FILE|-]         the message as a JSON payload (text, attachments, props…)
  mmbot help

Configuration: mmbot.toml (or --config), every key also settable by environment
(MATTERMOST_URL, MATTERMOST_BOT_TOKEN, DATABASE_URL, MMBOT_<SECTION>_<KEY>). See the README.`;

/** Where `mmbot start` records the embedded sandbox, so `chat` and `doctor` can find it. */
const SANDBOX_FILE = "data/sandbox.json";

interface SandboxRecord {
  url: string;
  bot_token: string;
  pid: number;
}

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  if (command === "send") return send(rest);
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: "string" },
      user: { type: "string" },
      channel: { type: "string" },
      url: { type: "string" },
      token: { type: "string" },
      password: { type: "string" },
      fresh: { type: "boolean" },
    },
    allowPositionals: false,
  });
  const loadCfg = () => loadConfig({ path: values.config ?? "mmbot.toml", explicitPath: values.config !== undefined });
  switch (command) {
    case "start": {
      const config = loadCfg();
      if (values.fresh) config.sandbox.fresh = true;
      return start(config);
    }
    case "doctor": {
      const config = loadCfg();
      const target = doctorTarget(config);
      // checked as `mmbot start` runs it: in its own sandbox everybody may use the bot
      if (target?.sandbox) config.policy.allowed_users ??= "*";
      if (!target) {
        console.log(`✗ no Mattermost server configured and no sandbox running\n    fix: start one with "npm start" (it records itself in ${SANDBOX_FILE}), or set MATTERMOST_URL and MATTERMOST_BOT_TOKEN`);
        return 1;
      }
      const { runDoctor } = await import("./doctor.js"); // loaded only when asked for: startup is `start`'s
      const integrationsToken = values.token ?? process.env.MMBOT_ADMIN_TOKEN;
      return (await runDoctor(config, target, (line) => console.log(line), { integrationsToken })) ? 0 : 1;
    }
    case "setup": {
      const config = loadCfg();
      const target = doctorTarget(config);
      if (!target) throw new MmbotError("SETUP_SERVER", "no Mattermost server configured and no sandbox running: set MATTERMOST_URL and MATTERMOST_BOT_TOKEN, or start one with npm start");
      const { runSetup, setupTarget } = await import("./setup/command.js");
      return runSetup(config, setupTarget(target, values.token, process.env), (line) => console.log(line));
    }
    case "chat": {
      const config = loadCfg();
      const url = values.url ?? readSandboxRecord()?.url ?? config.mattermost.url ?? `http://127.0.0.1:${config.sandbox.port}`;
      const { runChat } = await import("./chat/index.js"); // the terminal UI is not needed by `start`
      await runChat({ url, user: values.user, password: values.password, token: values.token, channel: values.channel });
      return 0;
    }
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      console.error(`mmbot: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

async function send(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      webhook: { type: "string" },
      channel: { type: "string" },
      team: { type: "string" },
      root: { type: "string" },
      json: { type: "string" },
    },
    allowPositionals: true,
  });
  const { parsePayload, sendAsBot, sendToIncomingWebhook } = await import("./send.js");
  let payload: MessagePayload = {};
  if (values.json !== undefined) {
    const source = values.json === "-" ? "stdin" : values.json;
    payload = parsePayload(values.json === "-" ? readFileSync(0, "utf8") : readFileSync(values.json, "utf8"), source);
  }
  if (positionals.length > 0) payload.text = positionals.join(" ");
  if (values.webhook) {
    await sendToIncomingWebhook(values.webhook, payload);
    console.log("sent through the incoming webhook");
    return 0;
  }
  if (!values.channel) throw new MmbotError("SEND_USAGE", `say where to: --webhook URL, or --channel NAME (as the bot)\n\n${USAGE}`);
  const config = loadConfig({ path: values.config ?? "mmbot.toml", explicitPath: values.config !== undefined });
  const server = doctorTarget(config);
  if (!server) throw new MmbotError("SEND_SERVER", "no Mattermost server configured and no sandbox running: set MATTERMOST_URL and MATTERMOST_BOT_TOKEN, or start one with npm start");
  const client = new MattermostClient({ url: server.url, token: server.token });
  const post = await sendAsBot(client, { channel: values.channel, team: values.team, rootId: values.root }, payload);
  console.log(`posted ${post.id} in ${values.channel}`);
  return 0;
}

async function start(config: Config): Promise<number> {
  const logger = createLogger({ level: config.log.level });
  const startedAt = performance.now();
  let sandbox: Sandbox | undefined;
  let url = config.mattermost.url;
  let token = config.mattermost.bot_token;
  let allowedUsers = config.policy.allowed_users;
  let http: (HttpSourceOptions & { triggerWords?: string[] }) | undefined;

  if (!url || !token) {
    sandbox = await startSandbox(config, logger);
    const seed = sandbox.seed(); // a kept world is not seeded again: its seed comes back
    const { registerSandboxIntegrations, sandboxDataFile } = await import("./embedded.js");
    if (!config.http) http = await registerSandboxIntegrations(sandbox, seed);
    url = sandbox.url;
    token = seed.bot.token;
    allowedUsers ??= "*"; // the sandbox is yours alone: everybody in it may use the bot
    writeSandboxRecord({ url, bot_token: token, pid: process.pid });
    console.log(
      [
        `mmbot: sandbox Mattermost running at ${url} (${sandbox.restored ? "the world kept in" : "a new world, kept in"} ${sandboxDataFile(config)}; npm start -- --fresh starts empty)`,
        `       team "${seed.team.name}", channels ~town-square ~off-topic ~ops, users alice, bob, admin (password sandbox-<name>)`,
        `       open ${url}/ in a browser: the channels, buttons, dialogs and an event log of every request`,
      ].join("\n"),
    );
  } else if (allowedUsers === undefined || (Array.isArray(allowedUsers) && allowedUsers.length === 0)) {
    logger.warn('policy.allowed_users is empty: the bot will answer nobody. Set it to usernames or "*" (env MMBOT_POLICY_ALLOWED_USERS).');
  }

  const { bot, sources } = botFromConfig(config, { url, token, allowedUsers: allowedUsers ?? [] }, logger, http);
  await bot.start(...sources);
  const ms = Math.round(performance.now() - startedAt);
  logger.info({ startToConnectedMs: ms }, "ready");
  console.log(`mmbot: @${bot.user.username} connected to ${url} in ${ms} ms`);
  if (sandbox) {
    console.log(
      [
        "",
        "Talk to it from a second terminal:",
        "  npx mmbot chat                 # you are alice, in ~town-square",
        "  @todobot add buy milk          # in a channel, mention the bot",
        "  /dm todobot                    # or open a DM and just type: list, done 1, help",
        "  /todo list                     # the slash command: the list with Done/Delete buttons",
        "  /click 1 2                     # click button [2 …] of post #1",
        "  /join off-topic, todo add x    # the outgoing webhook (trigger word todo) in ~off-topic",
        "",
        "Press Ctrl-C to stop.",
      ].join("\n"),
    );
  }

  await firstStopSignal(logger);
  await bot.stop({ graceMs: STOP_GRACE_MS });
  if (sandbox) {
    await sandbox.close();
    rmSync(SANDBOX_FILE, { force: true });
  }
  logger.flush();
  return 0;
}

async function startSandbox(config: Config, logger: Logger): Promise<Sandbox> {
  // the sandbox (fastify and all) is loaded only when no server is configured: it weighs on
  // start time and memory of a bot that talks to a real server
  const { Sandbox, WorldFileError } = await import("./sandbox/index.js");
  const { sandboxDataFile } = await import("./embedded.js");
  try {
    return await Sandbox.start({ host: config.sandbox.host, port: config.sandbox.port, logger, file: sandboxDataFile(config), fresh: config.sandbox.fresh });
  } catch (error) {
    if (error instanceof WorldFileError) {
      const fix = error.inUse ? "Stop the other mmbot start" : 'Start empty with "npm start -- --fresh" (it replaces the file)';
      throw new MmbotError("SANDBOX_DATA", `the sandbox's world file ${error.message}. ${fix}, or set sandbox.data (env MMBOT_SANDBOX_DATA) to another file`, { cause: error });
    }
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new MmbotError(
        "SANDBOX_PORT",
        `sandbox.port ${config.sandbox.port} is in use (another mmbot or a Mattermost server?). Stop it, or pick another port: MMBOT_SANDBOX_PORT=8066 npm start`,
        { cause: error },
      );
    }
    throw error;
  }
}

function writeSandboxRecord(record: SandboxRecord): void {
  mkdirSync(dirname(SANDBOX_FILE), { recursive: true });
  writeFileSync(SANDBOX_FILE, JSON.stringify(record, null, 2), { mode: 0o600 });
}

function readSandboxRecord(): SandboxRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(SANDBOX_FILE, "utf8")) as SandboxRecord;
    process.kill(record.pid, 0); // still running?
    return record;
  } catch {
    return undefined;
  }
}

function doctorTarget(config: Config): (DoctorTarget & { sandbox?: boolean }) | undefined {
  if (config.mattermost.url && config.mattermost.bot_token) {
    return { url: config.mattermost.url, token: config.mattermost.bot_token, origin: "configured server" };
  }
  const record = readSandboxRecord();
  return record ? { url: record.url, token: record.bot_token, origin: `the sandbox started by mmbot start (${SANDBOX_FILE})`, sandbox: true } : undefined;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof MattermostApiError) {
      // as the server gave it: status, error id, message, request id (to find it in the server's log)
      const detail = [error.serverErrorId, error.requestId && `request ${error.requestId}`].filter(Boolean).join(", ");
      console.error(`mmbot: the server refused: ${error.message}${detail ? ` (${detail})` : ""}`);
    } else if (error instanceof MmbotError) console.error(`mmbot: ${error.message}`);
    else console.error("mmbot: unexpected error:", error);
    process.exit(1);
  },
);
