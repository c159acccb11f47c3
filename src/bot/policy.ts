import type { Post, UserProfile } from "../mattermost/types.js";
import type { BotEvent } from "./event.js";

/** Who the bot answers, where, and when. See the README's configuration section. */
export interface Policy {
  /** User ids or usernames; `"*"` = everybody; empty = nobody. */
  allowedUsers: "*" | string[];
  /** Channel ids or names; empty = every channel the bot is in. */
  channels: string[];
  /** Only posts that @-mention the bot (a DM always counts) reach the handlers. */
  mentionOnly: boolean;
  /** Reply in the thread of the root post (true) or in the channel (false). */
  threadReplies: boolean;
  /** Ignore posts of other bots and webhooks (loop protection). */
  ignoreBots: boolean;
}

export const defaultPolicy: Policy = {
  allowedUsers: [],
  channels: [],
  mentionOnly: false,
  threadReplies: true,
  ignoreBots: true,
};

export type PolicyDecision =
  | { action: "handle" }
  | { action: "drop"; reason: string }
  /** The author may not use the bot and addressed it: tell them once, briefly. */
  | { action: "refuse"; reason: string };

/** Whether the bot was addressed: an @-mention, the server's mention list, a DM, or a webhook trigger word. */
export function isAddressed(event: BotEvent, me: UserProfile): boolean {
  if (event.channelType === "D") return true;
  if (event.triggerWord) return true;
  if (event.mentions.includes(me.id)) return true;
  const message = event.post?.message ?? "";
  return mentionPattern(me.username).test(message);
}

/** Decides what to do with a post event. Pure: the bot resolves `sender` first. */
export function decide(event: BotEvent, me: UserProfile, sender: UserProfile | undefined, policy: Policy): PolicyDecision {
  const post = event.post;
  if (!post) return { action: "handle" };
  if (post.user_id === me.id) return { action: "drop", reason: "own post" };
  if (post.type && post.type.startsWith("system_")) return { action: "drop", reason: "system post" };
  if (policy.ignoreBots && isFromBot(post, sender)) return { action: "drop", reason: "from a bot or webhook" };
  if (policy.channels.length > 0 && !policy.channels.includes(event.channelId) && !policy.channels.includes(event.channelName)) {
    return { action: "drop", reason: "channel not in policy.channels" };
  }
  const addressed = isAddressed(event, me);
  if (policy.mentionOnly && !addressed) return { action: "drop", reason: "not a mention (policy.mention_only)" };
  if (!isAllowed(post.user_id, sender?.username, policy.allowedUsers)) {
    return addressed
      ? { action: "refuse", reason: "user not in policy.allowed_users" }
      : { action: "drop", reason: "user not in policy.allowed_users" };
  }
  return { action: "handle" };
}

export function isAllowed(userId: string, username: string | undefined, allowed: "*" | string[]): boolean {
  if (allowed === "*") return true;
  return allowed.some((entry) => entry === "*" || entry === userId || (username !== undefined && entry.replace(/^@/, "") === username));
}

function isFromBot(post: Post, sender: UserProfile | undefined): boolean {
  return post.props?.from_bot === "true" || post.props?.from_webhook === "true" || sender?.is_bot === true;
}

/** `@name` as a whole word (Mattermost usernames may contain `.`, `-`, `_`). */
export function mentionPattern(username: string): RegExp {
  const escaped = username.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return new RegExp(`(^|[^\\w.-])@${escaped}(?![\\w-]|\\.[\\w])`, "i");
}

/** The message without the leading `@bot` (and a `:` or `,` after it), trimmed. */
export function stripLeadingMention(message: string, username: string): string {
  const escaped = username.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
  return message.replace(new RegExp(`^\\s*@${escaped}(?![\\w-])[:,]?\\s*`, "i"), "").trim();
}
