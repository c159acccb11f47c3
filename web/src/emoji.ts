/** Emoji by name (`:tada:`, `:+1:`), from GitHub's gemoji list, whose names Mattermost's emoji mostly share. */
import { gemoji } from "gemoji";

const BY_NAME = new Map<string, string>();
for (const entry of gemoji) for (const name of entry.names) BY_NAME.set(name, entry.emoji);

/** The character of an emoji name, or undefined for a name nobody knows. */
export const emojiFor = (name: string): string | undefined => BY_NAME.get(name);

/** What the reaction picker offers. */
export const QUICK_REACTIONS = [
  "+1",
  "white_check_mark",
  "heart",
  "tada",
  "eyes",
  "joy",
  "pray",
  "rocket",
];
