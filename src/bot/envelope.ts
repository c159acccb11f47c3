/**
 * The one envelope every source produces: a post (WebSocket, REST catch-up, outgoing webhook), a
 * reaction, any other WebSocket event, a slash command, a click, a dialog submission. The
 * pipeline (claim, policy, context, handlers) sees nothing else of the transport.
 */
import type {
  ActionClickPayload,
  DialogSubmissionPayload,
  SlashCommandPayload,
} from "../http/payloads.js";
import type {
  Channel,
  Post,
  Reaction,
  UserProfile,
  WebSocketBroadcast,
} from "../mattermost/types.js";
import { mentionsBot } from "./mentions.js";

/** Where an envelope came from. The same post may arrive by several; it is handled once. */
export type SourceName = "websocket" | "catchup" | "webhook" | "polling" | "http" | "local";

/** A channel as far as the source knows it: `name` and `type` may be "" when it did not say. */
export interface ChannelRef {
  id: string;
  name: string;
  /** "O" | "P" | "D" | "G", or "" when unknown. */
  type: string;
}

/** Who caused the event; `name` (the username) may be "" when the source did not say (dialogs). */
export interface UserRef {
  id: string;
  name: string;
}

interface EnvelopeBase {
  /** Stable for one event: the post id for a message, the trigger id for an interaction. Logged with every line about it. */
  id: string;
  source: SourceName;
  channel: ChannelRef;
  teamId: string;
  user: UserRef;
}

/** A new post. */
export interface MessageEnvelope extends EnvelopeBase {
  kind: "message";
  post: Post;
  /** User ids the server says were mentioned. */
  mentions: string[];
  /** The outgoing webhook's trigger word the message starts with: the bot was addressed by it. */
  triggerWord?: string;
}

/** An emoji reaction added to or removed from a post. */
export interface ReactionEnvelope extends EnvelopeBase {
  kind: "reaction";
  added: boolean;
  reaction: Pick<Reaction, "user_id" | "post_id" | "emoji_name" | "create_at">;
}

/** Any other WebSocket event (`post_edited`, `post_deleted`, `typing`, `user_added`, …), as the server sent it. */
export interface EventEnvelope extends EnvelopeBase {
  kind: "event";
  name: string;
  data: Record<string, unknown>;
  broadcast: WebSocketBroadcast;
  /** `data.post` parsed, for the post events. */
  post?: Post;
}

export interface SlashEnvelope extends EnvelopeBase {
  kind: "slash";
  payload: SlashCommandPayload;
}

export interface ActionEnvelope extends EnvelopeBase {
  kind: "action";
  actionId: string;
  payload: ActionClickPayload;
  /** The context given to `button()` / `select()`, its signature checked by the source. */
  data: Record<string, unknown>;
}

export interface DialogEnvelope extends EnvelopeBase {
  kind: "dialog";
  payload: DialogSubmissionPayload;
}

export type Envelope =
  | MessageEnvelope
  | ReactionEnvelope
  | EventEnvelope
  | SlashEnvelope
  | ActionEnvelope
  | DialogEnvelope;
export type EnvelopeKind = Envelope["kind"];
/** The kinds answered inline over HTTP (with a deadline). */
export type InteractionEnvelope = SlashEnvelope | ActionEnvelope | DialogEnvelope;

export function isInteraction(envelope: Envelope): envelope is InteractionEnvelope {
  return envelope.kind === "slash" || envelope.kind === "action" || envelope.kind === "dialog";
}

/** What is known of a post read over REST (catch-up, polling, a retaken claim, an outgoing webhook) beyond the post itself. */
export interface PostFacts {
  source: SourceName;
  /** Its channel, if it could be read: name, type and team. */
  channel?: Pick<Channel, "name" | "type" | "team_id">;
  sender?: Pick<UserProfile, "username">;
  /** The bot: its id goes into `mentions` where the server would put it (`mentionsBot`). */
  me?: Pick<UserProfile, "id" | "username">;
  /** The outgoing webhook's trigger word the message starts with. */
  triggerWord?: string;
}

/**
 * A post read over REST as a message envelope, the same as its `posted` event would give.
 * @example const envelope = messageEnvelope(await client.getPost(id), { source: "catchup", channel, sender, me });
 */
export function messageEnvelope(post: Post, facts: PostFacts): MessageEnvelope {
  const channel = {
    id: post.channel_id,
    name: facts.channel?.name ?? "",
    type: facts.channel?.type ?? "",
  };
  const mentions = facts.me && mentionsBot(post, channel.type, facts.me) ? [facts.me.id] : [];
  const envelope: MessageEnvelope = {
    kind: "message",
    id: post.id,
    source: facts.source,
    channel,
    teamId: facts.channel?.team_id ?? "",
    post,
    user: { id: post.user_id, name: facts.sender?.username ?? "" },
    mentions,
  };
  if (facts.triggerWord) envelope.triggerWord = facts.triggerWord;
  return envelope;
}

/** A WebSocket event in the server's shape, `post` already parsed for post events. */
export interface WireEvent {
  source: SourceName;
  event: string;
  data: Record<string, unknown>;
  broadcast?: WebSocketBroadcast;
  seq?: number;
  post?: Post;
}

const NO_BROADCAST: WebSocketBroadcast = {
  omit_users: null,
  user_id: "",
  channel_id: "",
  team_id: "",
};

/** A WebSocket frame as an envelope: `posted` → message, `reaction_*` → reaction, the rest → event. Posts read over REST: `messageEnvelope`. */
export function fromWireEvent(raw: WireEvent): Envelope {
  const data = raw.data ?? {};
  const broadcast = raw.broadcast ?? NO_BROADCAST;
  const post = raw.post;
  const channel = {
    id: post?.channel_id || str(data.channel_id) || broadcast.channel_id,
    name: str(data.channel_name),
    type: str(data.channel_type),
  };
  const teamId = str(data.team_id) || broadcast.team_id;
  const base = { source: raw.source, channel, teamId };
  if (raw.event === "posted" && post) {
    return {
      ...base,
      kind: "message",
      id: post.id,
      post,
      user: { id: post.user_id, name: str(data.sender_name).replace(/^@/, "") },
      mentions: stringArray(data.mentions),
    };
  }
  if (raw.event === "reaction_added" || raw.event === "reaction_removed") {
    const reaction = jsonObject(data.reaction);
    if (reaction && typeof reaction.post_id === "string" && typeof reaction.user_id === "string") {
      const r = {
        user_id: reaction.user_id,
        post_id: reaction.post_id,
        emoji_name: str(reaction.emoji_name),
        create_at: Number(reaction.create_at) || 0,
      };
      const added = raw.event === "reaction_added";
      return {
        ...base,
        kind: "reaction",
        id: `${r.post_id}:${r.user_id}:${r.emoji_name}:${added ? "+" : "-"}${r.create_at}`,
        added,
        reaction: r,
        user: { id: r.user_id, name: "" },
      };
    }
  }
  const userId = post?.user_id || str(data.user_id) || broadcast.user_id;
  const id = raw.seq === undefined ? `${raw.event}:${Date.now()}` : `${raw.event}:${raw.seq}`;
  return {
    ...base,
    kind: "event",
    id,
    name: raw.event,
    data,
    broadcast,
    post,
    user: { id: userId, name: "" },
  };
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function jsonObject(v: unknown): Record<string, unknown> | undefined {
  if (typeof v === "object" && v !== null) return v as Record<string, unknown>;
  if (typeof v !== "string" || v === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(v);
    return typeof parsed === "object" && parsed !== null
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `data.mentions`: a JSON string array on the wire. */
function stringArray(v: unknown): string[] {
  let value = v;
  if (typeof v === "string" && v !== "") {
    try {
      value = JSON.parse(v);
    } catch {
      return [];
    }
  }
  return Array.isArray(value) ? value.filter((x): x is string => typeof x === "string") : [];
}
