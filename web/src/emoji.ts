/** Emoji by name (`:tada:`, `:+1:`), from GitHub's gemoji list, whose names Mattermost's emoji mostly share. */
import { gemoji } from "gemoji";

const BY_NAME = new Map<string, string>();
for (const entry of gemoji) for (const name of entry.names) BY_NAME.set(name, entry.emoji);
// Mattermost's names where gemoji has another (the server's list: server/public/model/emoji_data.go)
BY_NAME.set("octagonal_sign", "🛑");

/** The character of an emoji name, or undefined for a name nobody knows. */
export const emojiFor = (name: string): string | undefined => BY_NAME.get(name);

/** What the reaction picker offers: the common ones, then the agent's stop and status reactions. */
export const QUICK_REACTIONS = ["+1", "heart", "tada", "joy", "pray", "rocket"];

/** The agent reads 🛑 on its answer as "stop"; it marks a request it works on with the others. */
export const AGENT_REACTIONS: Array<{ name: string; meaning: string }> = [
  { name: "octagonal_sign", meaning: "stop the agent's answer" },
  { name: "eyes", meaning: "seen, working on it" },
  { name: "hammer_and_wrench", meaning: "using a tool" },
  { name: "white_check_mark", meaning: "done" },
  { name: "warning", meaning: "something went wrong" },
];
