/**
 * `/todo …`: the same commands as in a message. `list` answers in the channel with buttons (the
 * post everyone clicks on); every other answer is shown to the user who typed the command only.
 */
import type { SlashContext } from "../../bot/interaction-context.js";
import { interactiveList } from "./buttons.js";
import { parseTodoCommand } from "./parse.js";
import type { TodoService } from "./service.js";

const SLASH_HINT =
  "Here, type them after `/todo`, e.g. `/todo add buy milk`; `/todo list` shows the list with buttons.";

/** The `/todo` handler; `todo` gives the service over the bot's (open) store. */
export function todoSlash(todo: () => TodoService): (ctx: SlashContext) => Promise<void> {
  return async (ctx) => {
    const text = ctx.text || "help";
    const listKey = ctx.channel.id;
    const { kind } = parseTodoCommand(text);
    if (kind === "list") {
      const { message, attachments } = interactiveList(await todo().list(listKey));
      await ctx.respond({ response_type: "in_channel", text: message, attachments });
      return;
    }
    const answer = await todo().run({
      listKey,
      user: { id: ctx.user.id, username: ctx.user.name },
      text,
    });
    const hint = kind === "help" ? `\n\n${SLASH_HINT}` : "";
    await ctx.respond({ response_type: "ephemeral", text: answer.text + hint });
  };
}
