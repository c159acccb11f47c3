/**
 * `bot.handle(envelope)`: the in-process entry point, no source started. The bot still talks to
 * a real server (the sandbox) for who it is and for its replies; the envelopes come from the test.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import type { MessageEnvelope, SlashEnvelope } from "../../src/bot/envelope.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";

describe("bot.handle", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  let bot: Bot;
  const seen: string[] = [];

  beforeAll(async () => {
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
    bot = new Bot({
      url: sandbox.url,
      token: seed.bot.token,
      store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-handle-")), "bot.db")}`,
      policy: { allowedUsers: ["alice"] },
    });
    bot.use(async (ctx, next) => {
      seen.push(`${ctx.kind} ${ctx.id}`);
      await next();
    });
    bot.slash("/echo", (ctx) => ctx.respond(`echo: ${ctx.text}`));
    bot.command("ping", (ctx) => ctx.reply("pong"));
    await bot.init();
  });
  afterAll(async () => {
    await bot.stop();
    await sandbox.close();
  });

  const slash = (user: { id: string; name: string }, text: string): SlashEnvelope => ({
    kind: "slash",
    id: `t-${text}`,
    source: "local",
    channel: { id: seed.channels.ops.id, name: "ops", type: "O" },
    teamId: seed.team.id,
    user,
    payload: {
      command: "/echo",
      text,
      channel_id: seed.channels.ops.id,
      channel_name: "ops",
      team_id: seed.team.id,
      team_domain: "acme",
      user_id: user.id,
      user_name: user.name,
      trigger_id: "",
      response_url: "",
    },
  });

  it("resolves with a slash command's inline answer, and applies the policy", async () => {
    const alice = { id: seed.users.alice.user.id, name: "alice" };
    const bob = { id: seed.users.bob.user.id, name: "bob" };
    expect(await bot.handle(slash(alice, "hi"))).toEqual({
      response_type: "ephemeral",
      text: "echo: hi",
    });
    expect(await bot.handle(slash(bob, "hi"))).toEqual({
      response_type: "ephemeral",
      text: expect.stringMatching(/not allowed to use @todobot/),
    });
    expect(seen).toEqual(["slash t-hi"]); // the refused request never reached the handlers
  });

  it("handles a message once, however often it is handed in, and replies through the outbox", async () => {
    const post = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "@todobot ping",
    });
    const envelope: MessageEnvelope = {
      kind: "message",
      id: post.id,
      source: "local",
      post,
      channel: { id: post.channel_id, name: "ops", type: "O" },
      teamId: seed.team.id,
      user: { id: post.user_id, name: "alice" },
      mentions: [],
    };
    await Promise.all([bot.handle(envelope), bot.handle({ ...envelope })]);
    const replies = sandbox.thread(post.id).filter((p) => p.user_id === seed.bot.user.id);
    expect(replies.map((p) => p.message)).toEqual(["pong"]);
    expect(seen.filter((s) => s === `message ${post.id}`)).toHaveLength(1);
  });
});
