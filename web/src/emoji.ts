/** Emoji by name (`:tada:`), from GitHub's gemoji list, the names Mattermost's emoji picker mostly shares. */
import { gemoji } from "gemoji";

const BY_NAME = new Map<string, string>();
for (const entry of gemoji) for (const name of entry.names) BY_NAME.set(name, entry.emoji);
// Mattermost's names for a few that gemoji spells otherwise
for (const [alias, name] of [["thumbsup", "+1"], ["thumbsdown", "-1"], ["white_check_mark", "white_check_mark"]] as const) {
  const emoji = BY_NAME.get(name);
  if (emoji && !BY_NAME.has(alias)) BY_NAME.set(alias, emoji);
}

/** The character of an emoji name, or undefined for a name nobody knows. */
export const emojiFor = (name: string): string | undefined => BY_NAME.get(name);

/** What the reaction picker offers. */
export const QUICK_REACTIONS = ["+1", "white_check_mark", "heart", "tada", "eyes", "joy", "pray", "rocket"];
