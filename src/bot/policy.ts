import type { Post, UserProfile } from "../mattermost/types.js";
import type { Envelope, MessageEnvelope } from "./envelope.js";
import { mentionPattern } from "./mentions.js";

export { mentionPattern, stripLeadingMention } from "./mentions.js";

/** Who the bot answers, where, and when. */
export interface Policy {
  /** User ids or usernames; `"*"` = everybody; empty = nobody. */
  allowedUsers: "*" | string[];
  /** Channel ids or names; empty = every channel the bot is in. */
  channels: string[];
  /** Only posts that @-mention the bot (a DM always counts) reach the handlers. */
  mentionOnly: boolean;
  /** Reply in the thread of the root post (true) or in the channel (false). */
  threadReplies: boolean;
  /** Ignore posts and reactions of other bots and webhooks (loop protection). */
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
  /** The user asked and may not be answered: tell them, briefly, privately. */
  | { action: "refuse"; reason: string; text: "notAllowed" | "wrongChannel" };

/** What the policy needs to know of the sender and the channel beyond the envelope (looked up by the pipeline). */
export interface PolicyFacts {
  sender?: Pick<UserProfile, "username" | "is_bot">;
  /** The channel's name, when the envelope did not carry it and `channels` lists names. */
  channelName?: string;
  /** The post is in a thread an app follows (`App.followsThread`): it passes `mentionOnly`, not addressed for all that. */
  inFollowedThread?: boolean;
}

/** Whether a message is addressed to the bot: an @-mention, the server's mention list, a DM, or a trigger word. */
export function isAddressed(envelope: MessageEnvelope, me: UserProfile): boolean {
  if (envelope.channel.type === "D") return true;
  if (envelope.triggerWord) return true;
  if (envelope.mentions.includes(me.id)) return true;
  return mentionPattern(me.username).test(envelope.post.message);
}

/**
 * The one decision for every kind of event. Messages: own, system, bot and webhook posts are
 * dropped, as are those outside `channels` and, with `mentionOnly`, those not addressed to the
 * bot outside the threads an app follows; a user not allowed is refused when they addressed the bot, else ignored. Reactions follow
 * the same rules silently. Slash commands, clicks and dialogs were asked for: a user not allowed
 * or a channel not served is refused.
 */
export function decide(
  envelope: Envelope,
  me: UserProfile,
  facts: PolicyFacts,
  policy: Policy,
): PolicyDecision {
  const username = facts.sender?.username ?? (envelope.user.name || undefined);
  const inChannel = inChannels(
    envelope.channel.id,
    facts.channelName ?? envelope.channel.name,
    policy.channels,
  );
  switch (envelope.kind) {
    case "message": {
      const post = envelope.post;
      if (post.user_id === me.id) return { action: "drop", reason: "own post" };
      if (post.type && post.type.startsWith("system_"))
        return { action: "drop", reason: "system post" };
      if (policy.ignoreBots && isFromBot(post, facts.sender))
        return { action: "drop", reason: "from a bot or webhook" };
      if (!inChannel) return { action: "drop", reason: "channel not served" };
      const addressed = isAddressed(envelope, me);
      if (policy.mentionOnly && !addressed && !facts.inFollowedThread)
        return { action: "drop", reason: "not addressed to the bot (mention only)" };
      if (!isAllowed(post.user_id, username, policy.allowedUsers)) {
        return addressed
          ? { action: "refuse", reason: "user not allowed", text: "notAllowed" }
          : { action: "drop", reason: "user not allowed" };
      }
      return { action: "handle" };
    }
    case "reaction":
      if (envelope.user.id === me.id) return { action: "drop", reason: "own reaction" };
      if (policy.ignoreBots && facts.sender?.is_bot)
        return { action: "drop", reason: "from a bot" };
      if (!inChannel) return { action: "drop", reason: "channel not served" };
      if (!isAllowed(envelope.user.id, username, policy.allowedUsers))
        return { action: "drop", reason: "user not allowed" };
      return { action: "handle" };
    case "event":
      return envelope.channel.id && !inChannel
        ? { action: "drop", reason: "channel not served" }
        : { action: "handle" };
    default:
      if (!isAllowed(envelope.user.id, username, policy.allowedUsers))
        return { action: "refuse", reason: "user not allowed", text: "notAllowed" };
      if (!inChannel)
        return { action: "refuse", reason: "channel not served", text: "wrongChannel" };
      return { action: "handle" };
  }
}

/*
 * Allowed users and channels, read one way wherever they are written: the bot's policy, and the
 * narrower lists of an app (the agent's `allowedUsers`, `channels`) or a bridge (`allowed_users`,
 * `channels`) on top of it.
 */

/** Whether a user is on an allow list: user ids or usernames (a leading `@` is fine), `"*"` for everybody. */
export function isAllowed(
  userId: string,
  username: string | undefined,
  allowed: "*" | readonly string[],
): boolean {
  if (allowed === "*") return true;
  return allowed.some(
    (entry) =>
      entry === "*" ||
      entry === userId ||
      (username !== undefined && entry.replace(/^@/, "") === username),
  );
}

/** Whether a channel is on a list of channel ids or names; an empty list is every channel. */
export function inChannels(
  channelId: string,
  channelName: string,
  channels: readonly string[],
): boolean {
  return (
    channels.length === 0 ||
    channels.includes(channelId) ||
    (channelName !== "" && channels.includes(channelName))
  );
}

function isFromBot(post: Post, sender: PolicyFacts["sender"]): boolean {
  return (
    post.props?.from_bot === "true" ||
    post.props?.from_webhook === "true" ||
    sender?.is_bot === true
  );
}
