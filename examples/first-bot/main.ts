// Runs the bot of bot.ts against a sandbox started here: npx tsx main.ts
import { WebSocketSource } from "mmbot";
import { Sandbox } from "mmbot/sandbox";
import { createBot } from "./bot.js";

const sandbox = await Sandbox.start(); // a local Mattermost on a free port
const seed = sandbox.seed(); // team acme, users alice and bob, the bot account todobot
const { bot, http } = createBot({
  url: sandbox.url,
  token: seed.bot.token,
  store: "sqlite:./data/first-bot.db",
  listen: process.env.BOT_LISTEN ?? "127.0.0.1:3100",
});
await bot.start(new WebSocketSource(), http);
console.log(`Open ${sandbox.url}/ and write "@todobot lunch" in ~town-square (Ctrl-C stops)`);
