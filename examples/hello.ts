// A bot of your own, against a sandbox it starts itself: npx tsx hello.ts
import { Bot, WebSocketSource } from "mmbot";
import { Sandbox } from "mmbot/sandbox";

const sandbox = await Sandbox.start(); // a local Mattermost on a free port
const seed = sandbox.seed(); // team acme, users alice and bob, the bot account todobot

const bot = new Bot({ url: sandbox.url, token: seed.bot.token, policy: { allowedUsers: "*" } });
bot.command("ping", (ctx) => ctx.reply("pong")); // "@todobot ping"
bot.mention((ctx) => ctx.reply(`You said: ${ctx.text}`)); // any other mention, or a DM
await bot.start(new WebSocketSource());

console.log(`Open ${sandbox.url}/ and write "@todobot ping" in ~town-square (Ctrl-C stops)`);
