/** `mmbot start`: the todo bot (and the bridge), against the configured server or a sandbox it starts. */
import { rmSync } from "node:fs";
import { bridgeApp } from "../apps/bridge/index.js";
import { todoApp } from "../apps/todo/index.js";
import { Bot } from "../bot/bot.js";
import type { Config } from "../config.js";
import { MmbotError } from "../errors.js";
import type { HttpOptions } from "../http/options.js";
import { createLogger, flushLog, type Logger } from "../log.js";
import type { Sandbox } from "../sandbox/index.js";
import { SANDBOX_FILE, writeSandboxRecord } from "./target.js";

export async function start(config: Config): Promise<number> {
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  const startedAt = performance.now();
  let sandbox: Sandbox | undefined;
  let url = config.mattermost.url;
  let token = config.mattermost.bot_token;
  let allowedUsers = config.policy.allowed_users;
  let http: HttpOptions | undefined = config.http && {
    listen: config.http.listen,
    publicUrl: config.http.public_url,
    tokens: { outgoingWebhook: config.http.outgoing_webhook_tokens, slash: config.http.slash_tokens },
    actionSecret: config.http.action_secret,
    answerWithinMs: config.http.answer_within_ms,
    triggerWords: config.http.trigger_words,
  };
  // the human lines (stdout) are printed in one block once started, below the startup log lines
  const banner: string[] = [];

  if (!url || !token) {
    sandbox = await startSandbox(config, logger);
    const seed = sandbox.seed();
    if (!http) {
      const { registerSandboxIntegrations } = await import("../embedded.js");
      http = await registerSandboxIntegrations(sandbox, seed);
    }
    url = sandbox.url;
    token = seed.bot.token;
    allowedUsers ??= "*"; // the sandbox is yours alone: everybody in it may use the bot
    writeSandboxRecord({ url, bot_token: token, pid: process.pid });
    banner.push(
      `mmbot: sandbox Mattermost running at ${url} (in memory: a restart forgets)`,
      `       team "${seed.team.name}", channels ~town-square ~off-topic ~ops, users alice, bob, admin (password sandbox-<name>)`,
    );
  } else if (allowedUsers === undefined || (Array.isArray(allowedUsers) && allowedUsers.length === 0)) {
    logger.warn('policy.allowed_users is empty: the bot will answer nobody. Set it to usernames or "*" (env MMBOT_POLICY_ALLOWED_USERS).');
  }

  const bot = new Bot({
    url,
    token,
    store: config.store.url,
    logger,
    policy: {
      allowedUsers: allowedUsers ?? [],
      channels: config.policy.channels,
      mentionOnly: config.policy.mention_only,
      threadReplies: config.policy.thread_replies,
      ignoreBots: config.policy.ignore_bots,
    },
    http,
  });
  bridgeApp(bot, config.bridge); // before the todo app, which takes every other mention
  todoApp(bot);
  await bot.start();
  const ms = Math.round(performance.now() - startedAt);
  logger.info({ startToConnectedMs: ms }, "ready");
  banner.push(`mmbot: @${bot.user.username} connected to ${url} in ${ms} ms`);
  if (sandbox) {
    banner.push(
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
    );
  }
  await flushLog(logger); // so that no startup log line lands inside the block
  console.log((sandbox ? ["", ...banner, ""] : banner).join("\n"));

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await bot.stop();
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
  const { Sandbox } = await import("../sandbox/index.js");
  try {
    return await Sandbox.start({ host: config.sandbox.host, port: config.sandbox.port, logger });
  } catch (error) {
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
