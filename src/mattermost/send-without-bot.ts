/**
 * Sending without a running bot (`mmbot send`, and the library): through an incoming webhook
 * URL, or through the REST API as the bot to a channel. Server errors come back as the server
 * gave them (status, error id, message).
 */
import { MattermostApiError, MmbotError, TransportError } from "../errors.js";
import type { MattermostClient } from "./rest.js";
import { overrideLoss, versionLabel } from "./server-info.js";
import type { Channel, Post } from "./types.js";

/** What an incoming webhook accepts (and the subset of a post the REST path uses). */
export interface MessagePayload {
  text?: string;
  /** Webhook only: a channel name other than the webhook's own (if the webhook allows it). */
  channel?: string;
  username?: string;
  icon_url?: string;
  icon_emoji?: string;
  attachments?: unknown[];
  props?: Record<string, unknown>;
  type?: string;
}

/** Parses a JSON payload (from a file or stdin) and checks it carries something to post. */
export function parsePayload(json: string, source: string): MessagePayload {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new MmbotError(
      "SEND_PAYLOAD",
      `${source}: not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new MmbotError(
      "SEND_PAYLOAD",
      `${source}: expected a JSON object like {"text": "hello", "attachments": [...]}`,
    );
  }
  return value as MessagePayload;
}

function requireContent(payload: MessagePayload): void {
  if (!payload.text?.trim() && !(payload.attachments?.length ?? 0)) {
    throw new MmbotError(
      "SEND_EMPTY",
      'nothing to send: give a text, or a JSON payload with "text" or "attachments"',
    );
  }
}

/**
 * Posts through an incoming webhook (`https://chat.example.com/hooks/<id>`); the server
 * answers `ok`. The hook id is a secret: errors name the server, not the id.
 */
export async function sendToIncomingWebhook(
  url: string,
  payload: MessagePayload,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): Promise<void> {
  requireContent(payload);
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new MmbotError(
      "SEND_WEBHOOK_URL",
      `not a URL: an incoming webhook URL looks like https://chat.example.com/hooks/<id>`,
    );
  }
  const shown = `${target.origin}/hooks/…`;
  let response: Response;
  let text: string;
  try {
    response = await (options.fetch ?? fetch)(target, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    text = await response.text();
  } catch (error) {
    throw new TransportError(
      `POST ${shown} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (response.ok) return;
  let body: Record<string, unknown> | string = text.trim();
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // a plain-text answer stays as it came
  }
  throw new MattermostApiError({
    status: response.status,
    method: "POST",
    path: "/hooks/…",
    body,
    requestId: response.headers.get("x-request-id") ?? undefined,
  });
}

export interface ChannelTarget {
  /** A channel id, a channel name (in `team`, or in any of the bot's teams), or `@username` for a DM. */
  channel: string;
  team?: string;
  /** Reply in this post's thread. */
  rootId?: string;
}

/** The payload's fields that become override props of a post made over REST. */
const OVERRIDE_FIELDS = {
  username: "override_username",
  icon_url: "override_icon_url",
  icon_emoji: "override_icon_emoji",
} as const;

/**
 * Posts as the token's user (the bot) through the REST API. `username`, `icon_url` and
 * `icon_emoji` become the post's override props; where the server will not honour one (its
 * setting is off, or 12.0 and a personal access token) `warn` is told once, naming the field
 * and the server's version: the post goes anyway, the server deciding.
 */
export async function sendAsBot(
  client: MattermostClient,
  target: ChannelTarget,
  payload: MessagePayload,
  options: { warn?: (message: string) => void } = {},
): Promise<Post> {
  requireContent(payload);
  const channel = await resolveChannel(client, target);
  const props: Record<string, unknown> = { ...payload.props };
  if (payload.attachments) props.attachments = payload.attachments;
  const named: [string, string][] = [];
  for (const [field, prop] of Object.entries(OVERRIDE_FIELDS)) {
    const value = payload[field as keyof typeof OVERRIDE_FIELDS];
    if (typeof value === "string" && value !== "") {
      props[prop] = value;
      named.push([field, prop]);
    } else if (prop in props) named.push([`props.${prop}`, prop]);
  }
  if (named.length > 0 && options.warn) {
    const [server, me] = await Promise.all([client.serverInfo(), client.getMe()]);
    for (const [field, prop] of named) {
      const loss = overrideLoss(server, prop, { isBot: me.is_bot === true });
      if (loss)
        options.warn(`${field}: will not show on Mattermost ${versionLabel(server)}: ${loss}`);
    }
  }
  return client.createPost({
    channel_id: channel.id,
    message: payload.text ?? "",
    root_id: target.rootId ?? "",
    props,
  });
}

async function resolveChannel(client: MattermostClient, target: ChannelTarget): Promise<Channel> {
  const wanted = target.channel.replace(/^~/, "");
  if (wanted.startsWith("@")) {
    const [me, other] = await Promise.all([
      client.getMe(),
      client.getUserByUsername(wanted.slice(1)),
    ]);
    return client.createDirectChannel(me.id, other.id);
  }
  if (/^[a-z0-9]{26}$/.test(wanted)) {
    const byId = await client.getChannel(wanted).catch(() => undefined);
    if (byId) return byId;
  }
  const teams = target.team ? [await client.getTeamByName(target.team)] : await client.getMyTeams();
  for (const team of teams) {
    const found = await client.getChannelByName(team.id, wanted).catch((error: unknown) => {
      if (error instanceof MattermostApiError && (error.status === 404 || error.status === 403))
        return undefined;
      throw error;
    });
    if (found) return found;
  }
  const where = target.team
    ? `team ${target.team}`
    : `the bot's teams (${teams.map((t) => t.name).join(", ") || "none"})`;
  throw new MmbotError(
    "SEND_CHANNEL",
    `no channel "${wanted}" in ${where}: give its name as in its URL, its id, or @username for a DM`,
  );
}
