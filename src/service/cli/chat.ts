/** `mmbot chat`: a terminal chat as a sandbox user (or with a personal access token). */
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
  const config = loadCommandConfig(flags.config);
  const url = flags.url ?? readSandboxRecord()?.url ?? config.mattermost.url ?? `http://127.0.0.1:${config.sandbox.port}`;
  const { runChat } = await import("../chat/terminal-chat.js"); // the terminal UI is not needed by `start`
  await runChat({ url, user: flags.user, password: flags.password, token: flags.token, channel: flags.channel });
  return 0;
}
