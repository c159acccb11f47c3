/**
 * The embedded default of `mmbot start` with no server configured: the sandbox, seeded, with the
 * todo bot's slash command (`/todo`) and outgoing webhook (trigger word `todo`, in ~off-topic)
 * registered as `mmbot setup` would on a real server, so every way of talking to the bot can be
 * tried locally.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import type { HttpSourceOptions } from "./sources/http.js";
import type { Sandbox, SeedResult } from "./sandbox/index.js";

/** A free loopback port: the integrations must be registered with the bot's address before it listens. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Registers the todo bot's integrations in the sandbox; returns the HTTP source's options (and trigger words) to match. */
export async function registerSandboxIntegrations(sandbox: Sandbox, seed: SeedResult): Promise<HttpSourceOptions & { triggerWords: string[] }> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const admin = seed.users.admin.user.id;
  const command = sandbox.createCommand(admin, {
    team_id: seed.team.id,
    trigger: "todo",
    url: `${publicUrl}/slash`,
    display_name: "Todo",
    description: "The channel's todo list",
    auto_complete: true,
    auto_complete_hint: "[add|list|done|delete|undo|help] text",
  });
  // a real team join puts every member in ~town-square and ~off-topic; the server refuses a
  // non-member's reply (403), so the bot must be in the webhook's channel to answer there
  sandbox.addToChannel(seed.channels.offTopic.id, seed.bot.user.id);
  const hook = sandbox.createOutgoingWebhook(admin, {
    team_id: seed.team.id,
    channel_id: seed.channels.offTopic.id,
    trigger_words: ["todo"],
    callback_urls: [`${publicUrl}/hooks/outgoing`],
    display_name: "Todo (outgoing webhook)",
  });
  return {
    listen: `127.0.0.1:${port}`,
    publicUrl,
    tokens: { slash: [command.token], outgoingWebhook: [hook.token] },
    // signs buttons for this run only: the sandbox forgets its posts on restart anyway
    actionSecret: randomBytes(32).toString("hex"),
    triggerWords: ["todo"],
  };
}
