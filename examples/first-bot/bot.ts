// Your first bot: a command, a button, and an answer to anything else. `createBot` makes it for
// any server; main.ts runs it against a sandbox, bot.test.ts tests it against one.
import { Bot, button, HttpSource } from "mmbot";

export interface FirstBotOptions {
  url: string; // the Mattermost server
  token: string; // the bot account's access token
  store: string; // where replies wait to be sent, e.g. "sqlite:./data/first-bot.db"
  listen: string; // where buttons call the bot, e.g. "127.0.0.1:3100"
}

export function createBot(options: FirstBotOptions): { bot: Bot; http: HttpSource } {
  const bot = new Bot({
    url: options.url,
    token: options.token,
    store: options.store,
    policy: { allowedUsers: "*" }, // everybody; a real server: ["alice", "bob"]
  });
  // buttons are HTTP calls from the server to the bot
  const http = new HttpSource({ listen: options.listen, publicUrl: `http://${options.listen}` });

  bot.command("ping", (ctx) => ctx.reply("pong")); // "@todobot ping"
  bot.command("lunch", (ctx) =>
    ctx.reply({
      text: "Lunch at noon?",
      attachments: [{ actions: [button("yes", "Yes", { style: "primary" }), button("no", "No")] }],
    }),
  );
  bot.action(/^(yes|no)$/, (ctx) =>
    ctx.update({ message: `Lunch at noon? @${ctx.user.name} says ${ctx.actionId}` }),
  );
  bot.mention((ctx) => ctx.reply(`You said: ${ctx.text}. Try ping or lunch.`));
  return { bot, http };
}
