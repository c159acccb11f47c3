/** The `mmbot.toml` that `mmbot init` writes: the answers, with comments saying what each is. */
import { addressKind } from "../setup/check.js";

export interface InitAnswers {
  url: string;
  /** The bot's token, when known (given, or from MATTERMOST_BOT_TOKEN). */
  token?: string;
  /** true: `bot_token` goes into the file (a secret: mode 0600); false: the file says to set MATTERMOST_BOT_TOKEN. */
  tokenInFile: boolean;
  allowedUsers: string[] | "*";
  publicUrl?: string;
}

// TOML basic strings take JSON's escapes
const str = (value: string) => JSON.stringify(value);

export function renderInitFile(answers: InitAnswers): string {
  const lines = [
    "# Written by mmbot init. Every key can also be set by environment (MMBOT_<SECTION>_<KEY>);",
    "# docs/config.md lists them. Check it against the server: mmbot doctor",
    "",
    "[mattermost]",
    `url = ${str(answers.url)}`,
    answers.tokenInFile && answers.token
      ? `bot_token = ${str(answers.token)}   # a secret: keep this file out of version control`
      : "# bot_token: set MATTERMOST_BOT_TOKEN in the environment to the bot's access token",
    "",
    "[policy]",
    `allowed_users = ${answers.allowedUsers === "*" ? '"*"' : `[${answers.allowedUsers.map(str).join(", ")}]`}   # usernames; "*" = everybody`,
  ];
  if (answers.publicUrl) {
    lines.push(
      "",
      "[http]   # Mattermost's slash commands, outgoing webhooks, buttons and dialogs reach the bot here",
      `listen = ${str(listenFor(answers.publicUrl))}   # where the bot listens; public_url leads here (e.g. through a reverse proxy)`,
      `public_url = ${str(answers.publicUrl)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** "alice, @bob" → ["alice", "bob"]; "*" → "*". */
export function parseAllowedUsers(answer: string): string[] | "*" {
  if (answer.trim() === "*") return "*";
  return answer
    .split(",")
    .map((name) => name.trim().replace(/^@/, ""))
    .filter(Boolean);
}

/** A public URL on this machine is where the bot listens; anything else is a proxy in front of port 3000. */
function listenFor(publicUrl: string): string {
  const url = new URL(publicUrl);
  if (addressKind(url.hostname) !== "loopback") return "127.0.0.1:3000";
  return `${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`;
}
