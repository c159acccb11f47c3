/** `mmbot send`: posts through an incoming webhook, or as the bot through the REST API. */
import { readFileSync } from "node:fs";
import { MmbotError } from "../../errors.js";
import { MattermostClient } from "../../mattermost/rest.js";
import {
  parsePayload,
  sendAsBot,
  sendToIncomingWebhook,
  type MessagePayload,
} from "../../mattermost/send-without-bot.js";
import { UsageError } from "./usage-error.js";
import { doctorTarget, loadCommandConfig, NO_SERVER } from "./target.js";

export interface SendFlags {
  config?: string;
  webhook?: string;
  channel?: string;
  team?: string;
  root?: string;
  json?: string;
}

export async function send(words: string[], flags: SendFlags): Promise<number> {
  if (!flags.webhook && !flags.channel)
    throw new UsageError("say where to: --webhook URL, or --channel NAME (as the bot)");
  let payload: MessagePayload = {};
  if (flags.json !== undefined)
    payload = parsePayload(readPayload(flags.json), flags.json === "-" ? "stdin" : flags.json);
  if (words.length > 0) payload.text = words.join(" ");
  if (flags.webhook) {
    await sendToIncomingWebhook(flags.webhook, payload);
    console.log("sent through the incoming webhook");
    return 0;
  }
  const channel = flags.channel!; // one of the two, checked above
  const config = loadCommandConfig(flags.config);
  const server = doctorTarget(config);
  if (!server) throw new MmbotError("SEND_SERVER", NO_SERVER);
  const client = new MattermostClient({ url: server.url, token: server.token });
  const post = await sendAsBot(client, { channel, team: flags.team, rootId: flags.root }, payload, {
    warn: (message) => console.error(`warning: ${message}`),
  });
  console.log(`posted ${post.id} in ${channel}`);
  return 0;
}

function readPayload(source: string): string {
  try {
    return readFileSync(source === "-" ? 0 : source, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new MmbotError("SEND_PAYLOAD", `--json ${source}: no such file`, { cause: error });
    throw error;
  }
}
