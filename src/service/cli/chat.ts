/** `mmbot chat`: a terminal chat as a sandbox user (or with a personal access token). */
import type { Config } from "../config.js";
import { loadCommandConfig, readSandboxRecord } from "./target.js";

export interface ChatFlags {
  config?: string;
  user?: string;
  channel?: string;
  url?: string;
  token?: string;
  password?: string;
}

export async function chat(flags: ChatFlags): Promise<number> {
  // with --url, nothing comes from the configuration: a file for another bot (or none) is no obstacle
  const url = flags.url ?? serverOf(loadCommandConfig(flags.config));
  const { runChat } = await import("../chat/terminal-chat.js"); // the terminal UI is not needed by `start`
  await runChat({
    url,
    user: flags.user,
    password: flags.password,
    token: flags.token,
    channel: flags.channel,
  });
  return 0;
}

/** The running sandbox recorded for this configuration's data location, else mattermost.url, else where the sandbox would listen. */
function serverOf(config: Config): string {
  return (
    readSandboxRecord(config)?.url ??
    config.mattermost.url ??
    `http://127.0.0.1:${config.sandbox.port}`
  );
}
