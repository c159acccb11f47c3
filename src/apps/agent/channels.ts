/**
 * Where the agent speaks: per channel (by name or id, or `dm` for direct messages) a mode and
 * its own system prompt, model and who may summon it.
 * - `mention`: a mention (or a DM) starts it; it follows the thread until idle (today's way);
 * - `threads`: as `mention`, but it answers every reply of a thread it was summoned to, idle or not;
 * - `root_posts`: every new root post is answered (its thread then followed as with `mention`);
 * - `all`: every post, root or reply.
 */
import { isAllowed } from "../../bot/policy.js";

export type ChannelMode = "mention" | "threads" | "root_posts" | "all";
export const CHANNEL_MODES: readonly ChannelMode[] = ["mention", "threads", "root_posts", "all"];

/** The word naming direct messages in `channel`. */
export const DIRECT_MESSAGES = "dm";

export interface AgentChannel {
  /** A channel name or id, or `dm` for direct messages. */
  channel: string;
  /** Default `mention`. */
  mode?: ChannelMode;
  /** Instead of the agent's system prompt, here. */
  systemPrompt?: string;
  /** Instead of the agent's model, here. */
  model?: string;
  /** Who may summon it here (usernames or ids, `*` everyone), instead of the agent's `allowedUsers`. */
  allowedUsers?: "*" | string[];
  /** Only these MCP servers' tools here (their names); unset: every server's. */
  mcpServers?: string[];
}

/** The setting of this channel (a DM: the `dm` entry), or undefined. */
export function channelSetting(
  settings: readonly AgentChannel[],
  place: { channelId: string; channelName: string; isDirect: boolean },
): AgentChannel | undefined {
  if (place.isDirect) return settings.find((s) => s.channel === DIRECT_MESSAGES);
  const name = place.channelName.replace(/^~/, "");
  return settings.find(
    (s) => s.channel === place.channelId || s.channel.replace(/^~/, "") === name,
  );
}

/** Whether a post not mentioning the bot is addressed to it by the channel's mode. */
export function addressedByMode(mode: ChannelMode, isRootPost: boolean): boolean {
  return mode === "all" || (mode === "root_posts" && isRootPost);
}

export function mayUse(
  setting: AgentChannel | undefined,
  fallback: "*" | readonly string[],
  user: { id: string; name: string },
): boolean {
  return isAllowed(user.id, user.name, setting?.allowedUsers ?? fallback);
}
