/**
 * Every text the pipeline says to a user, in one place. A service may replace them (`texts`
 * option of the bot), e.g. to name its own configuration keys.
 */
export interface BotTexts {
  /** The user may not use the bot. */
  notAllowed(botName: string): string;
  /** The bot does not work in this channel. */
  wrongChannel(botName: string): string;
  /** A handler failed; `reference` is in the log line with the detail. */
  failed(reference: string): string;
  /** A slash command, button or dialog that no handler took. */
  notHandled(what: string, botName: string): string;
}

export const defaultTexts: BotTexts = {
  notAllowed: (bot) =>
    `Sorry, you are not allowed to use @${bot}. Ask an admin to add you to its allowed users.`,
  wrongChannel: (bot) => `Sorry, @${bot} does not work in this channel.`,
  failed: (reference) => `Sorry, something went wrong while handling that (ref \`${reference}\`).`,
  notHandled: (what, bot) => `Sorry, ${what} is not handled by @${bot}.`,
};
