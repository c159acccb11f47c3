/**
 * `mmbot sandbox`: the sandbox alone, a local Mattermost with its browser page and no bot, for
 * a bot of your own (`import { Bot } from "mmbot"`) or a script to talk to. It prints the address
 * and the seeded bot account's token, and records them where `mmbot chat` and `doctor` look.
 */
import type { Config } from "../config.js";
import { createLogger } from "../../log.js";
import { firstStopSignal } from "../stop-signals.js";
import { startSandbox } from "./start.js";
import { removeSandboxRecord, sandboxRecordFile, writeSandboxRecord } from "./target.js";

export async function runSandbox(config: Config): Promise<number> {
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  const { sandbox, busyPort } = await startSandbox(config, logger);
  const { sandboxDataFile } = await import("../embedded-sandbox.js");
  const seed = sandbox.seed(); // a kept world is not seeded again: its seed comes back
  const url = sandbox.url;
  let recordFile: string | undefined = sandboxRecordFile(config);
  if (!writeSandboxRecord(recordFile, { url, bot_token: seed.bot.token, pid: process.pid })) {
    logger.warn(
      `${recordFile} belongs to another running mmbot: left as it is (mmbot chat and doctor find that one, not this sandbox)`,
    );
    recordFile = undefined;
  }
  const lines = [""];
  if (busyPort !== undefined)
    lines.push(
      `mmbot: sandbox.port ${busyPort} is in use (a Mattermost server or another mmbot?): the sandbox runs on port ${new URL(url).port} instead.`,
    );
  lines.push(
    `mmbot: sandbox Mattermost running at ${url} (version ${sandbox.profile.currentVersion}; ${sandbox.restored ? "the world kept in" : "a new world, kept in"} ${sandboxDataFile(config)}; --fresh starts empty)`,
    `       team "${seed.team.name}", channels ~town-square ~off-topic ~ops, users alice, bob, admin (password sandbox-<name>)`,
    `       the bot account @${seed.bot.user.username}: MATTERMOST_URL=${url} MATTERMOST_BOT_TOKEN=${seed.bot.token}`,
    `       open ${url}/ in a browser, or talk in a terminal: mmbot chat`,
    "",
    "Press Ctrl-C to stop.",
    "",
  );
  console.log(lines.join("\n"));
  await firstStopSignal(logger);
  await sandbox.close();
  if (recordFile) removeSandboxRecord(recordFile);
  logger.flush();
  return 0;
}
