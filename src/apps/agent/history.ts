/**
 * The conversation, rebuilt from the thread at each turn (nothing else stores it, so it
 * survives restarts and works across instances): the bot's posts are assistant turns, the
 * others user turns that name their author; deleted posts are left out, edited ones read as
 * edited; the system prompt first, the question last, the oldest turns dropped to fit.
 */
import type { Post } from "../../mattermost/types.js";
import { APPROVAL_PROP } from "./approvals.js";
import type { PostFiles } from "./files.js";
import type { ChatMessage } from "./model-client.js";

export interface HistoryInput {
  /** The thread's posts in any order (a real server's `order` is unsorted). */
  posts: Post[];
  question: Post;
  botId: string;
  botUsername: string;
  systemPrompt: string;
  /** Usernames by user id. */
  names: ReadonlyMap<string, string>;
  maxTokens: number;
  /** Attached files to add to a post's turn (their text, and images), by post id. */
  attachments?: ReadonlyMap<string, PostFiles>;
  /** Turns to leave out beyond the budget (after a "context too long"). */
  dropExtra?: number;
}

/** Lines the bot adds about its own answer, not part of what it said. */
const NOTICE =
  /^(⚠️ .*|_\(stopped\)_|_Leaving this thread\..*_|_Using the tool .*…_|_Not sent to the model: .*_)$/;

/** What an image is counted as: a rough figure (a high-detail 1024×1024 image is 765 tokens on OpenAI's models). */
const IMAGE_TOKENS = 1_000;

/** A rough token count (about four characters a token, and a few per message). */
export function estimateTokens(message: ChatMessage): number {
  const calls = "tool_calls" in message ? JSON.stringify(message.tool_calls).length : 0;
  const content = message.content ?? "";
  const size =
    typeof content === "string"
      ? content.length
      : content.reduce((n, p) => n + (p.type === "text" ? p.text.length : IMAGE_TOKENS * 4), 0);
  return Math.ceil((size + calls) / 4) + 4;
}

export function buildHistory(input: HistoryInput): { messages: ChatMessage[]; dropped: number } {
  const { question, botId } = input;
  const earlier = input.posts
    .filter(
      (p) => p.id !== question.id && !p.delete_at && !p.type && p.create_at <= question.create_at,
    )
    .sort((a, b) => a.create_at - b.create_at || a.id.localeCompare(b.id));
  const turns = [...earlier, question]
    .map((post) => turnOf(post, input))
    .filter((t): t is ChatMessage => t !== undefined);
  const system: ChatMessage[] = input.systemPrompt
    ? [{ role: "system", content: input.systemPrompt }]
    : [];
  let budget = input.maxTokens - system.reduce((n, m) => n + estimateTokens(m), 0);
  // keep the newest turns that fit; the question always goes
  let kept = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const cost = estimateTokens(turns[i]!);
    if (kept > 0 && cost > budget) break;
    budget -= cost;
    kept++;
  }
  kept = Math.max(1, kept - (input.dropExtra ?? 0));
  return {
    messages: [...system, ...turns.slice(turns.length - kept)],
    dropped: turns.length - kept,
  };
}

function turnOf(post: Post, input: HistoryInput): ChatMessage | undefined {
  if (post.user_id === input.botId) {
    if (post.props?.[APPROVAL_PROP] !== undefined) return undefined; // the bot's question to a person

    const content = post.message
      .split("\n")
      .filter((line) => !NOTICE.test(line.trim()))
      .join("\n")
      .trim();
    return content ? { role: "assistant", content } : undefined;
  }
  const text = withoutMention(post.message, input.botUsername);
  if (isCommand(text)) return undefined;
  const files = input.attachments?.get(post.id);
  const content = [text, files?.text].filter(Boolean).join("\n\n");
  if (content === "") return undefined;
  const said = `${input.names.get(post.user_id) ?? post.user_id}: ${content}`;
  if (!files?.images.length) return { role: "user", content: said };
  return { role: "user", content: [{ type: "text", text: said }, ...files.images] };
}

/** `!stop` and `!leave` talk to the bot, not to the model. */
export function isCommand(text: string): boolean {
  return /^!(stop|leave)\s*$/i.test(text);
}

function withoutMention(message: string, username: string): string {
  return message
    .replace(
      new RegExp(`^\\s*@${username.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b[:,]?\\s*`, "i"),
      "",
    )
    .trim();
}
