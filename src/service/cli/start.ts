/** `mmbot start`: the todo bot (and the bridge), against the configured server or a sandbox it starts. */
import { createServer } from "node:net";
import { agentKeyWarning, type Config } from "../config.js";
import { firstThingsToType, whatRuns } from "./banner.js";
import { MmbotError } from "../../errors.js";
import { createLogger, flushLog, type Logger } from "../../log.js";
import type { Sandbox } from "../../sandbox/index.js";
import { botFromConfig } from "../bot-from-config.js";
import { firstStopSignal, STOP_GRACE_MS } from "../stop-signals.js";
import type { HttpSourceOptions } from "../../sources/http.js";
import { removeSandboxRecord, sandboxRecordFile, writeSandboxRecord } from "./target.js";

export async function start(config: Config): Promise<number> {
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  const startedAt = performance.now();
  let sandbox: Sandbox | undefined;
  let url = config.mattermost.url;
  let token = config.mattermost.bot_token;
  let allowedUsers = config.policy.allowed_users;
  // without [http], the embedded sandbox's own integrations
  let http: (HttpSourceOptions & { triggerWords?: string[] }) | undefined;
  // the human lines (stdout) are printed in one block once started, below the startup log lines
  const banner: string[] = [];
  let recordFile: string | undefined;

  if (!url || !token) {
    const started = await startSandbox(config, logger);
    sandbox = started.sandbox;
    const seed = sandbox.seed(); // a kept world is not seeded again: its seed comes back
    const { registerSandboxIntegrations, sandboxDataFile } = await import("../embedded-sandbox.js");
    if (!config.http) http = await registerSandboxIntegrations(sandbox, seed);
    url = sandbox.url;
    token = seed.bot.token;
    allowedUsers ??= "*"; // the sandbox is yours alone: everybody in it may use the bot
    recordFile = sandboxRecordFile(config);
    if (!writeSandboxRecord(recordFile, { url, bot_token: token, pid: process.pid })) {
      logger.warn(
        `${recordFile} belongs to another running mmbot start: left as it is (mmbot chat and doctor find that one, not this sandbox)`,
      );
      recordFile = undefined;
    }
    if (started.busyPort !== undefined) {
      banner.push(
        `mmbot: sandbox.port ${started.busyPort} is in use (a Mattermost server or another mmbot start?): the sandbox runs on port ${new URL(url).port} instead.`,
        `       To choose: mmbot start --port <port> (npm start -- --port <port>), or sandbox.port (env MMBOT_SANDBOX_PORT)`,
      );
    }
    banner.push(
      `mmbot: sandbox Mattermost running at ${url} (version ${sandbox.profile.currentVersion}, sandbox.version; ${sandbox.restored ? "the world kept in" : "a new world, kept in"} ${sandboxDataFile(config)}; npm start -- --fresh starts empty)`,
      `       team "${seed.team.name}", channels ~town-square ~off-topic ~ops, users alice, bob, admin (password sandbox-<name>)`,
      `       open ${url}/ in a browser: the channels, buttons, dialogs and an event log of every request`,
    );
  } else if (
    allowedUsers === undefined ||
    (Array.isArray(allowedUsers) && allowedUsers.length === 0)
  ) {
    logger.warn(
      'policy.allowed_users is empty: the bot will answer nobody. Set it to usernames or "*" (env MMBOT_POLICY_ALLOWED_USERS).',
    );
  }

  const keyWarning = agentKeyWarning(config);
  if (keyWarning) logger.warn(keyWarning);
  const { bot, sources } = await botFromConfig(
    config,
    { url, token, allowedUsers: allowedUsers ?? [] },
    logger,
    http,
  );
  await bot.start(...sources);
  const ms = Math.round(performance.now() - startedAt);
  logger.info({ startToConnectedMs: ms }, "ready");
  const name = bot.user.username;
  banner.push(`mmbot: @${name} connected to ${url} in ${ms} ms`);
  banner.push(...whatRuns(config, name).map((line) => `       ${line}`));
  if (sandbox) {
    banner.push(
      "",
      "Talk to it from a second terminal (or in the browser page above):",
      ...firstThingsToType(config, name),
      "",
      "Press Ctrl-C to stop.",
    );
  }
  await flushLog(logger); // so that no startup log line lands inside the block
  console.log((sandbox ? ["", ...banner, ""] : banner).join("\n"));

  await firstStopSignal(logger);
  await bot.stop({ graceMs: STOP_GRACE_MS });
  if (sandbox) {
    await sandbox.close();
    if (recordFile) removeSandboxRecord(recordFile);
  }
  logger.flush();
  return 0;
}

/**
 * Starts the sandbox on sandbox.port; when that port is taken, on a free one (the next ports
 * first, tried by binding), and says which port was busy (`busyPort`).
 */
export async function startSandbox(
  config: Config,
  logger: Logger,
): Promise<{ sandbox: Sandbox; busyPort?: number }> {
  // the sandbox (fastify and all) is loaded only when no server is configured: it weighs on
  // start time and memory of a bot that talks to a real server
  const { Sandbox, WorldFileError } = await import("../../sandbox/index.js");
  const { sandboxDataFile } = await import("../embedded-sandbox.js");
  const { host, port, fresh, version } = config.sandbox;
  const startOn = (p: number) =>
    Sandbox.start({ host, port: p, logger, file: sandboxDataFile(config), fresh, version });
  try {
    try {
      return { sandbox: await startOn(port) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === 0) throw error;
      return { sandbox: await startOn(await freePortNear(host, port)), busyPort: port };
    }
  } catch (error) {
    if (error instanceof WorldFileError) {
      const fix = error.inUse
        ? "Stop the other mmbot start"
        : 'Start empty with "npm start -- --fresh" (it replaces the file)';
      throw new MmbotError(
        "SANDBOX_DATA",
        `the sandbox's world file ${error.message}. ${fix}, or set sandbox.data (env MMBOT_SANDBOX_DATA) to another file`,
        { cause: error },
      );
    }
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new MmbotError(
        "SANDBOX_PORT",
        `sandbox.port ${port} is in use, and so was the free port found next. Pick another: mmbot start --port <port>`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** A port that is free on `host` right now (bound and released): one of the ten after `port`, else any. */
async function freePortNear(host: string, port: number): Promise<number> {
  const bind = (p: number) =>
    new Promise<number | undefined>((resolve) => {
      const server = createServer();
      server.once("error", () => resolve(undefined));
      server.listen(p, host, () => {
        const bound = (server.address() as { port: number }).port;
        server.close(() => resolve(bound));
      });
    });
  for (let p = port + 1; p <= Math.min(port + 10, 65535); p++) {
    const free = await bind(p);
    if (free !== undefined) return free;
  }
  return (await bind(0)) ?? 0;
}
