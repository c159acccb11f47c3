/**
 * The one mention rule: `@name` as a whole word, for the policy (is a post addressed to the bot?),
 * the context (the text without the leading mention) and posts read over REST (would the server
 * list the bot among its mentions?).
 */
import type { Post, UserProfile } from "../mattermost/types.js";

/**
 * Whether the server would count the bot among a post's mentions (`data.mentions` of its `posted`
 * event), for posts read over REST, which carry none: a direct message, `@name`, `@channel`,
 * `@all` or `@here` as whole words (the rule of `mentionPattern`); never its own or a system post.
 */
export function mentionsBot(
  post: Pick<Post, "user_id" | "type" | "message">,
  channelType: string,
  me: Pick<UserProfile, "id" | "username">,
): boolean {
  if (post.user_id === me.id) return false;
  if (channelType === "D") return true;
  if ((post.type ?? "").startsWith("system_")) return false;
  return mentionPattern(me.username).test(post.message) || CHANNEL_WIDE.test(post.message);
}

/** `@` and one of `names` (a regexp alternation) as a whole word: not in `a@b`, `@name2`, `@name-x` or `@name.x`; `@name.` at a sentence's end counts. */
function wordMention(names: string): RegExp {
  return new RegExp(`(^|[^\\w.-])@(?:${names})(?![\\w-]|\\.[\\w])`, "i");
}

const CHANNEL_WIDE = wordMention("channel|all|here");

// a bot has one name: its two patterns are compiled once, not for every message
const patterns = new Map<string, { mention: RegExp; leading: RegExp }>();

function patternsFor(username: string): { mention: RegExp; leading: RegExp } {
  let found = patterns.get(username);
  if (!found) {
    const escaped = username.replace(/[.*+?^${}()|[\]\\-]/g, "\\$&");
    found = {
      mention: wordMention(escaped),
      leading: new RegExp(`^\\s*@${escaped}(?![\\w-])[:,]?\\s*`, "i"),
    };
    if (patterns.size > 100) patterns.clear();
    patterns.set(username, found);
  }
  return found;
}

/** `@name` as a whole word (Mattermost usernames may contain `.`, `-`, `_`). */
export function mentionPattern(username: string): RegExp {
  return patternsFor(username).mention;
}

/** The message without the leading `@bot` (and a `:` or `,` after it), trimmed. */
export function stripLeadingMention(message: string, username: string): string {
  return message.replace(patternsFor(username).leading, "").trim();
}
