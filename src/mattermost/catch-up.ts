/** REST catch-up: the posts a WebSocket connection missed, as synthetic `posted` events. */
import type { Logger } from "../log.js";
import type { InboundEvent } from "./inbound.js";
import type { MattermostClient } from "./rest.js";
import type { Channel, Post } from "./types.js";

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
      const list = await client.getChannelPostsSince(channelId, sinceMs);
      const fresh = Object.values(list.posts ?? {}).filter((p) => p.create_at >= sinceMs && !p.delete_at);
      if (fresh.length === 0) continue;
      const channel = await client.getChannel(channelId).catch(() => undefined);
      for (const post of fresh) posts.push({ post, channel });
    } catch (error) {
      logger.warn({ err: error, channelId }, `catch-up: cannot read posts of channel ${channelId}`);
      failed.push(channelId);
    }
  }
  posts.sort((a, b) => a.post.create_at - b.post.create_at || a.post.id.localeCompare(b.post.id));
  const me = await client.getMe().catch(() => undefined);
  const events: InboundEvent[] = [];
  for (const { post, channel } of posts) {
    const sender = await client.getUser(post.user_id).catch(() => undefined);
    const mentioned = me && new RegExp(`(^|[^\\w.-])@${escapeRegExp(me.username)}(?![\\w-])`, "i").test(post.message);
    const data: Record<string, unknown> = {
      post: JSON.stringify(post),
      channel_type: channel?.type ?? "",
      channel_name: channel?.name ?? "",
      channel_display_name: channel?.display_name ?? "",
      team_id: channel?.team_id ?? "",
      sender_name: sender ? `@${sender.username}` : "",
      set_online: false,
    };
    if (mentioned) data.mentions = JSON.stringify([me.id]);
    events.push({
      source: "catchup",
      event: "posted",
      data,
      broadcast: { omit_users: null, user_id: "", channel_id: post.channel_id, team_id: channel?.team_id ?? "" },
      post,
    });
  }
  return { events, failed };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
