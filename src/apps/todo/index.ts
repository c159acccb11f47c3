import type { Bot } from "../../bot/bot.js";
import type { Context } from "../../bot/context.js";
import { TodoService } from "./service.js";

export { TodoService } from "./service.js";

/**
 * The todo bot: a list per channel (a DM is a personal list). It answers a message that
 * mentions it, any message in a DM, and — unless `policy.mention_only` — a channel message
 * starting with the word `todo`.
 * @example
 * const bot = new Bot({ url, token });
 * todoApp(bot);
 * await bot.start();
 */
export function todoApp(bot: Bot): void {
  let service: TodoService | undefined;
  bot.on("posted", async (ctx, next) => {
    const command = ctx.post ? todoText(ctx) : undefined;
    if (command === undefined || !ctx.sender) return next();
    service ??= new TodoService(bot.store);
    const answer = await service.run({
      listKey: ctx.channelId,
      user: { id: ctx.sender.id, username: ctx.sender.username },
      text: command,
    });
    await ctx.reply(answer.text);
  });
}

/** The todo command in a message, or undefined when the message is not for the todo bot. */
function todoText(ctx: Context): string | undefined {
  const todoWord = /^todo\b[:,]?\s*/i;
  if (ctx.isMention) {
    const text = ctx.text.replace(todoWord, "").trim();
    return text === "" ? "help" : text;
  }
  if (todoWord.test(ctx.text)) return ctx.text.replace(todoWord, "").trim() || "help";
  return undefined;
}
