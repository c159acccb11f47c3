/** An outgoing webhook as a `posted` event, so it goes through the same router and policy as the WebSocket's. */
import type { Post } from "../mattermost/types.js";
import type { OutgoingWebhookPayload } from "./payloads.js";

/**
 * The raw event for `bot.handle()`. `post` is the post read over REST: the webhook carries no
 * `root_id`, and the reply must go to the thread's root.
 */
export function webhookEvent(payload: OutgoingWebhookPayload, post: Post) {
  return {
    source: "webhook" as const,
    event: "posted",
    // outgoing webhooks fire only in open channels
    data: { channel_type: "O", channel_name: payload.channel_name, team_id: payload.team_id, sender_name: `@${payload.user_name}`, trigger_word: payload.trigger_word },
    broadcast: { omit_users: null, user_id: "", channel_id: post.channel_id, team_id: payload.team_id },
    post,
  };
}

/** The message without its leading trigger word (Mattermost leaves it in `text`). */
export function stripTriggerWord(message: string, triggerWord: string): string {
  if (!triggerWord || !message.startsWith(triggerWord)) return message.trim();
  return message.slice(triggerWord.length).replace(/^[:,]?\s*/, "").trim();
}

/** The configured trigger word a message starts with (as its first word), if any. */
export function leadingTriggerWord(message: string, triggerWords: readonly string[]): string | undefined {
  const first = /^\S+/.exec(message)?.[0];
  return first === undefined ? undefined : triggerWords.find((word) => word === first);
}
