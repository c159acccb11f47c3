import type { Post, WebSocketBroadcast } from "../mattermost/types.js";

/** Where an event came from. The same post may arrive by several; it is handled once. */
export type EventSource = "websocket" | "catchup" | "webhook" | "http" | "local";

/**
 * The one envelope every receiver produces (WebSocket, REST catch-up, HTTP integrations).
 * `post` is parsed for post events; `mentions` are user ids the server says were mentioned.
 */
export interface BotEvent {
  type: string;
  source: EventSource;
  data: Record<string, unknown>;
  broadcast: WebSocketBroadcast;
  post?: Post;
  channelId: string;
  channelType: string; // "O" | "P" | "D" | "G" | "" when unknown
  channelName: string;
  teamId: string;
  mentions: string[];
  /** The outgoing webhook's trigger word the message starts with: the bot was addressed by it. */
  triggerWord?: string;
}

/** Normalises a receiver's raw event (WebSocket shape) into a `BotEvent`. */
export function toBotEvent(raw: {
  source: EventSource;
  event: string;
  data: Record<string, unknown>;
  broadcast?: WebSocketBroadcast;
  post?: Post;
}): BotEvent {
  const data = raw.data ?? {};
  const post = raw.post ?? parsePost(data.post);
  const broadcast = raw.broadcast ?? { omit_users: null, user_id: "", channel_id: "", team_id: "" };
  return {
    type: raw.event,
    source: raw.source,
    data,
    broadcast,
    post,
    channelId: post?.channel_id || str(data.channel_id) || broadcast.channel_id,
    channelType: str(data.channel_type),
    channelName: str(data.channel_name),
    teamId: str(data.team_id) || broadcast.team_id,
    mentions: parseStringArray(data.mentions),
    triggerWord: raw.source === "webhook" ? str(data.trigger_word) || undefined : undefined,
  };
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function parsePost(v: unknown): Post | undefined {
  if (typeof v === "object" && v !== null) return v as Post;
  if (typeof v !== "string" || v === "") return undefined;
  try {
    return JSON.parse(v) as Post;
  } catch {
    return undefined;
  }
}

function parseStringArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string");
  if (typeof v !== "string" || v === "") return [];
  try {
    const parsed: unknown = JSON.parse(v);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}
