/**
 * How each trigger asks for a run and gets its answers. Posts (a command word or an outgoing
 * webhook's trigger word) are answered in the thread. A slash command is acknowledged at once,
 * for the user only, and the result is posted in the channel through the bot's outbox: a run
 * usually outlasts the slash deadline, and unlike response_url the outbox splits long output
 * across posts, attaches files, and retries when the server is away.
 */
import type { MessageContext } from "../../bot/context.js";
import type { SlashContext } from "../../bot/interaction-context.js";
import { MAX_MESSAGE_LENGTH, splitMessage } from "../../bot/split.js";
import { MattermostApiError } from "../../errors.js";
import { codeSpan, type BridgeAnswer } from "./format.js";
import type { FinishedRuns } from "./once.js";
import { uploadFiles, type BridgeRequest } from "./run.js";

/** A post addressed to the bot; `text` is what follows the command or trigger word. A post may be handled again: its run is kept in `finishedRuns`. */
export function postRequest(
  ctx: MessageContext,
  text: string,
  finishedRuns: FinishedRuns,
): BridgeRequest {
  return {
    userId: ctx.post.user_id,
    username: ctx.sender?.username,
    channelId: ctx.channelId,
    channelName: ctx.channel.name,
    text,
    onceKey: ctx.onceKey("bridge"),
    finishedRuns,
    logger: ctx.logger,
    tellUser: (message) => ctx.ephemeral(message),
    refuse: (message) => ctx.reply(message),
    deliver: async (answer) => {
      const fileIds = await uploadFiles(ctx.client, ctx.channelId, answer.files);
      await ctx.reply({ text: answer.text, fileIds });
    },
  };
}

/**
 * A slash command: every refusal and the acknowledgement for the user only, the result in the
 * channel. It is not handled again (Mattermost sends it once): its run is not kept.
 */
export function slashRequest(ctx: SlashContext): BridgeRequest {
  const invocation = codeSpan(`${ctx.command} ${ctx.text}`.trim());
  return {
    userId: ctx.user.id,
    username: ctx.user.name,
    channelId: ctx.channel.id,
    channelName: ctx.channel.name,
    text: ctx.text,
    onceKey: ctx.onceKey("bridge"),
    logger: ctx.logger,
    tellUser: (message) => ctx.respond(message),
    refuse: (message) => ctx.respond(message),
    starting: () =>
      ctx.respond(`Running ${invocation}; the output will be posted in this channel.`),
    deliver: async (answer) => {
      // the command itself is not shown in the channel: say who ran what
      const text = `@${ctx.user.name} ran ${invocation}:\n\n${answer.text}`;
      try {
        const fileIds = await uploadFiles(ctx.client, ctx.channel.id, answer.files);
        await ctx.reply({ text, fileIds });
      } catch (error) {
        if (!isRefusedByServer(error)) throw error; // the outbox retries the post
        ctx.logger.warn(
          { err: error, channelId: ctx.channel.id },
          "bridge: cannot post the result in the channel",
        );
        const said =
          typeof error.body === "object" && error.body.message
            ? error.body.message
            : `status ${error.status}`;
        await ctx.respondLater(privateResult(answer, ctx.me.username, `the server said: ${said}`));
      }
    },
  };
}

/** A 4xx other than 429: the bot may not post or upload there (not a member of a private channel…). */
function isRefusedByServer(error: unknown): error is MattermostApiError {
  return (
    error instanceof MattermostApiError &&
    error.status >= 400 &&
    error.status < 500 &&
    error.status !== 429
  );
}

/** The result for the user alone, when the channel refuses the bot's post: as much text as one message holds. */
function privateResult(answer: BridgeAnswer, botName: string, reason: string): string {
  const preface = `I could not post the result in this channel (${reason}); add me with \`/invite @${botName}\`. The result, for you only:\n\n`;
  const parts = splitMessage(answer.text, MAX_MESSAGE_LENGTH - preface.length - 100);
  const cut =
    parts.length > 1
      ? "\n\n(cut: the rest did not fit in one message)"
      : answer.files.length > 0
        ? "\n\n(the files could not be attached)"
        : "";
  return `${preface}${parts[0] ?? ""}${cut}`;
}
