import type { Bot } from "../../bot/bot.js";
import type { Context } from "../../bot/context.js";
import { todoButtons } from "./buttons.js";
import { todoDialog } from "./dialog.js";
import { TodoService } from "./service.js";
import { todoSlash } from "./slash.js";

export { TodoService } from "./service.js";

/**
 * The todo bot: a list per channel (a DM is a personal list). It answers a message that
 * mentions it, any message in a DM, and — unless `policy.mention_only` — a channel message
 * starting with the word `todo`. With the bot's `http` option it also serves `/todo …` (register
 * the command with the URL `<http.publicUrl>/slash`), the list's Done/Delete/Add… buttons and the
 * add dialog.
 * @example
 * const bot = new Bot({ url, token });
 * todoApp(bot);
 * await bot.start();
 */
export function todoApp(bot: Bot): void {
  // the store is open only once the bot is started (and a restart opens it anew): one service
  // per store, since building one compiles its statements
  let service: { store: Bot["store"]; todo: TodoService } | undefined;
  const todo = () => {
    if (service?.store !== bot.store) service = { store: bot.store, todo: new TodoService(bot.store) };
    return service.todo;
  };
  bot.on("posted", async (ctx, next) => {
    const command = ctx.post ? todoText(ctx) : undefined;
    if (command === undefined || !ctx.sender) return next();
    const answer = await todo().run({
      listKey: ctx.channelId,
      user: { id: ctx.sender.id, username: ctx.sender.username },
      text: command,
    });
    await ctx.reply(answer.text);
  });
  if (bot.receivesHttp) {
    bot.slash("/todo", todoSlash(todo));
    todoButtons(bot, todo);
    todoDialog(bot, todo);
  }
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
