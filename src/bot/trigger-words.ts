/** Outgoing webhooks' trigger words: a message starting with one is addressed to the bot. */

/** The message without its leading trigger word (Mattermost leaves it in the webhook's `text`). */
export function stripTriggerWord(message: string, triggerWord: string): string {
  if (!triggerWord || !message.startsWith(triggerWord)) return message.trim();
  return message
    .slice(triggerWord.length)
    .replace(/^[:,]?\s*/, "")
    .trim();
}

/** The configured trigger word a message starts with (as its first word), if any. */
export function leadingTriggerWord(
  message: string,
  triggerWords: readonly string[],
): string | undefined {
  const first = /^\S+/.exec(message)?.[0];
  return first === undefined ? undefined : triggerWords.find((word) => word === first);
}
