// The bot of bot.ts against a real local Mattermost: npx vitest run
import { type MessageAttachment, WebSocketSource } from "mmbot";
import { Sandbox, type SeedResult } from "mmbot/sandbox";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createBot } from "./bot.js";

let sandbox: Sandbox;
let seed: SeedResult;
let stop: () => Promise<void>;

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  const { bot, http } = createBot({
    url: sandbox.url,
    token: seed.bot.token,
    store: "sqlite::memory:",
    listen: `127.0.0.1:${3100 + Math.floor(Math.random() * 800)}`,
  });
  await bot.start(new WebSocketSource(), http);
  stop = () => bot.stop();
});
afterAll(async () => {
  await stop();
  await sandbox.close();
});

/** alice posts in ~town-square; resolves to the bot's first reply in the thread. */
async function ask(message: string) {
  const question = sandbox.post(seed.users.alice.user.id, {
    channel_id: seed.channels.townSquare.id,
    message,
  });
  for (;;) {
    const reply = sandbox.thread(question.id).find((p) => p.user_id === seed.bot.user.id);
    if (reply) return reply;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it("answers ping", async () => {
  expect((await ask("@todobot ping")).message).toBe("pong");
});

it("asks about lunch with buttons, and a click updates the post", async () => {
  const post = await ask("@todobot lunch");
  const [buttons] = post.props?.attachments as MessageAttachment[];
  expect(buttons?.actions?.map((a) => a.name)).toEqual(["Yes", "No"]);
  await sandbox.clickAction(seed.users.bob.user.id, post.id, "yes");
  expect(sandbox.getPost(post.id)?.message).toBe("Lunch at noon? @bob says yes");
});
