/** REST catch-up: the posts a WebSocket connection missed, as synthetic `posted` events. */
import type { Logger } from "../log.js";
import type { InboundEvent } from "./inbound.js";
import type { MattermostClient } from "./rest.js";
import type { Channel, Post, UserProfile } from "./types.js";

/** Every channel of every team of the token's user, direct and group messages included. */
export async function allMyChannels(client: MattermostClient): Promise<string[]> {
  const ids = new Set<string>();
  for (const team of await client.getMyTeams()) {
    for (const channel of await client.getMyChannels(team.id)) ids.add(channel.id);
  }
  return [...ids];
}

export interface CatchUpResult {
  events: InboundEvent[];
  /** Channels whose posts could not be read; the caller should try again. */
  failed: string[];
}

/**
 * Reads the posts created since `sinceMs` in each channel and returns them oldest first as
 * `posted` events. `?since=` also returns posts only edited since: those are dropped.
 */
export async function fetchMissedPosts(client: MattermostClient, channelIds: string[], sinceMs: number, logger: Logger): Promise<CatchUpResult> {
  const posts: { post: Post; channel: Channel | undefined }[] = [];
  const failed: string[] = [];
  for (const channelId of channelIds) {
    try {
      const fresh = await postsCreatedSince(client, channelId, sinceMs);
      if (fresh.length === 0) continue;
      const channel = await client.getChannel(channelId).catch(() => undefined);
      for (const post of fresh) posts.push({ post, channel });
    } catch (error) {
      logger.warn({ err: error, channelId }, `catch-up: cannot read posts of channel ${channelId}`);
      failed.push(channelId);
    }
  }
  posts.sort((a, b) => byCreation(a.post, b.post));
  const me = await client.getMe().catch(() => undefined);
  const events: InboundEvent[] = [];
  for (const { post, channel } of posts) {
    const sender = await client.getUser(post.user_id).catch(() => undefined);
    events.push({ source: "catchup", ...postedEvent(post, channel, sender, me) });
  }
  return { events, failed };
}

/** A channel's posts created (not only edited) since `sinceMs`, not deleted, oldest first. */
export async function postsCreatedSince(client: MattermostClient, channelId: string, sinceMs: number): Promise<Post[]> {
  const list = await client.getChannelPostsSince(channelId, sinceMs);
  return Object.values(list.posts ?? {})
    .filter((p) => p.create_at >= sinceMs && !p.delete_at)
    .sort(byCreation);
}

export function byCreation(a: Post, b: Post): number {
  return a.create_at - b.create_at || a.id.localeCompare(b.id);
}

/**
 * A post read over REST as the server's `posted` event would carry it: channel type and name,
 * sender, and `mentions` with the bot's id where the server would put it (a direct message,
 * `@username`, `@channel`/`@all`/`@here`).
 */
export function postedEvent(post: Post, channel: Channel | undefined, sender: UserProfile | undefined, me: UserProfile | undefined): Omit<InboundEvent, "source"> {
  const data: Record<string, unknown> = {
    post: JSON.stringify(post),
    channel_type: channel?.type ?? "",
    channel_name: channel?.name ?? "",
    channel_display_name: channel?.display_name ?? "",
    team_id: channel?.team_id ?? "",
    sender_name: sender ? `@${sender.username}` : "",
    set_online: false,
  };
  if (me && post.user_id !== me.id && mentions(post, channel, me)) data.mentions = JSON.stringify([me.id]);
  return {
    event: "posted",
    data,
    broadcast: { omit_users: null, user_id: "", channel_id: post.channel_id, team_id: channel?.team_id ?? "" },
    post,
  };
}

function mentions(post: Post, channel: Channel | undefined, me: UserProfile): boolean {
  if (channel?.type === "D") return true;
  if ((post.type ?? "").startsWith("system_")) return false;
  return new RegExp(`(^|[^\\w.-])@(${escapeRegExp(me.username)}|channel|all|here)(?![\\w-])`, "i").test(post.message);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
