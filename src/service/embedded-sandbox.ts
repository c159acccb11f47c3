/**
 * The embedded default of `mmbot start` with no server configured: the sandbox, seeded, with the
 * todo bot's slash command (`/todo`) and outgoing webhook (trigger word `todo`, in ~off-topic)
 * registered as `mmbot setup` would on a real server, so every way of talking to the bot can be
 * tried locally. The sandbox's world is kept in a file beside the bot's store (`sandbox.data`):
 * a restart finds the same users, channels and posts, and the todo lists still match them.
 */
import { createServer } from "node:net";
import { dirname, join, relative } from "node:path";
import type { Config } from "./config.js";
import { routeUrls } from "../http/routes.js";
import type { HttpSourceOptions } from "../sources/http.js";
import type { Sandbox, SeedResult } from "../sandbox/index.js";
import { parseStoreUrl } from "../store/url.js";

/** Where the sandbox's world is kept: `sandbox.data`, else `sandbox.db` beside a SQLite store, else data/sandbox.db. */
export function sandboxDataFile(config: Config, cwd = process.cwd()): string {
  if (config.sandbox.data) return config.sandbox.data;
  const store = parseStoreUrl(config.store.url, cwd);
  if (store.dialect === "sqlite" && store.path !== ":memory:")
    return relative(cwd, join(dirname(store.path), "sandbox.db")) || "sandbox.db";
  return join("data", "sandbox.db");
}

/**
 * A free loopback port, `preferred` when it is free (the receiver's address of the last run:
 * buttons on kept posts point there): the integrations are registered before the bot listens.
 */
async function freePort(preferred = 0): Promise<number> {
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        const { port: bound } = server.address() as { port: number };
        server.close(() => resolve(bound));
      });
    });
  return preferred ? listen(preferred).catch(() => listen(0)) : listen(0);
}

/**
 * Registers the todo bot's integrations in the sandbox, or, in a kept world, finds them and
 * points them (and the buttons of kept posts) to the bot's address; returns the HTTP source's
 * options (and trigger words) to match. Buttons are signed with the secret kept in the bot's store, so those of
 * kept posts stay valid.
 */
export async function registerSandboxIntegrations(
  sandbox: Sandbox,
  seed: SeedResult,
): Promise<HttpSourceOptions & { triggerWords: string[] }> {
  const admin = seed.users.admin.user.id;
  const keptCommand = sandbox.listCommands(admin, seed.team.id).find((c) => c.trigger === "todo");
  const keptHook = sandbox
    .listOutgoingWebhooks(admin, seed.team.id)
    .find((h) => h.channel_id === seed.channels.offTopic.id && h.trigger_words.includes("todo"));
  const lastUrl = keptCommand && new URL(keptCommand.url).origin;
  const port = await freePort(lastUrl ? Number(new URL(lastUrl).port) : 0);
  const publicUrl = `http://127.0.0.1:${port}`;
  if (lastUrl && lastUrl !== publicUrl) sandbox.moveIntegrations(lastUrl, publicUrl);
  const command =
    keptCommand ??
    sandbox.createCommand(admin, {
      team_id: seed.team.id,
      trigger: "todo",
      url: routeUrls.slash(publicUrl),
      display_name: "Todo",
      description: "The channel's todo list",
      auto_complete: true,
      auto_complete_hint: "[add|list|done|delete|undo|help] text",
    });
  // a real team join puts every member in ~town-square and ~off-topic; the server refuses a
  // non-member's reply (403), so the bot must be in the webhook's channel to answer there
  sandbox.addToChannel(seed.channels.offTopic.id, seed.bot.user.id);
  // the sandbox is yours alone: the bot may answer privately (ephemeral posts need the System
  // Admin role on a real server; without it the bot falls back to a direct message)
  sandbox.setRoles(seed.bot.user.id, "system_user system_admin");
  const hook =
    keptHook ??
    sandbox.createOutgoingWebhook(admin, {
      team_id: seed.team.id,
      channel_id: seed.channels.offTopic.id,
      trigger_words: ["todo"],
      callback_urls: [routeUrls.outgoingWebhook(publicUrl)],
      display_name: "Todo (outgoing webhook)",
    });
  return {
    listen: `127.0.0.1:${port}`,
    publicUrl,
    tokens: { slash: [command.token], outgoingWebhook: [hook.token] },
    triggerWords: ["todo"],
  };
}
