import { App } from "../../bot/app.js";
import type { MessageContext } from "../../bot/context.js";
import { todoButtons } from "./buttons.js";
import { todoDialog } from "./dialog.js";
import { todoMigrations } from "./migrations.js";
import { TodoService } from "./service.js";
import { todoSlash } from "./slash.js";

export { TodoService } from "./service.js";

/**
 * The todo bot: a list per channel (a DM is a personal list). It answers a message that
 * mentions it, any message in a DM, and a channel message starting with the word `todo` (unless
 * the bot's policy is mention-only). With an HTTP source it also serves `/todo …` (register the
 * command with the URL `<publicUrl>/slash`), the list's Done/Delete/Add… buttons and the add
 * dialog. Its tables are its own: installing it into a store creates them. With `wordOnly` a
 * mention reaches it only through the word `todo` (`@bot todo add milk`), leaving other
 * mentions to the apps after it (the agent).
 * @example
 * const bot = new Bot({ url, token });
 * bot.use(todo());
 * await bot.start(new WebSocketSource());
 */
export function todo(options: { wordOnly?: boolean } = {}): App {
  let service: TodoService | undefined;
  const app = new App({
    name: "todo",
    migrations: todoMigrations,
    // one service per store (building one compiles its statements); a restart opens the store anew
    start: ({ store }) => {
      service = new TodoService(store);
    },
  });
  const todos = () => {
    if (!service)
      throw new Error(
        "the todo app is not started: install it with bot.use(todo()) before bot.start()",
      );
    return service;
  };
  app.on("message", async (ctx, next) => {
    const command = todoText(ctx, options.wordOnly ?? false);
    if (command === undefined) return next();
    // the key makes the add once per post: a post handled again after a kill adds nothing more
    const answer = await todos().run({
      listKey: ctx.channelId,
      user: { id: ctx.user.id, username: ctx.sender?.username ?? ctx.user.name },
      text: command,
      onceKey: ctx.onceKey("todo"),
    });
    await ctx.reply(answer.text);
  });
  app.slash("/todo", todoSlash(todos));
  todoButtons(app, todos);
  todoDialog(app, todos);
  return app;
}

/** The todo command in a message, or undefined when the message is not for the todo bot. */
function todoText(ctx: MessageContext, wordOnly: boolean): string | undefined {
  const todoWord = /^todo\b[:,]?\s*/i;
  if (wordOnly && ctx.envelope.triggerWord?.toLowerCase() === "todo") return ctx.text || "help"; // the trigger word is already stripped
  if (ctx.isMention && !wordOnly) {
    const text = ctx.text.replace(todoWord, "").trim();
    return text === "" ? "help" : text;
  }
  if (todoWord.test(ctx.text)) return ctx.text.replace(todoWord, "").trim() || "help";
  return undefined;
}
