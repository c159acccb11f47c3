import { describe, expect, it } from "vitest";
import { App, findApps } from "../../src/bot/app.js";
import { AnswerSlot } from "../../src/bot/answer-slot.js";
import { compose } from "../../src/bot/compose.js";
import { Composer } from "../../src/bot/composer.js";
import { Context, MessageContext, ReactionContext, EventContext } from "../../src/bot/context.js";
import {
  fromWireEvent,
  type ActionEnvelope,
  type DialogEnvelope,
  type SlashEnvelope,
} from "../../src/bot/envelope.js";
import { ActionContext, DialogContext, SlashContext } from "../../src/bot/interaction-context.js";
import type { BotRuntime } from "../../src/bot/runtime.js";
import { HandlerError } from "../../src/errors.js";
import type { Post, UserProfile } from "../../src/mattermost/types.js";

// Routing needs no network: handlers here only record what they saw.
const services = { me: { id: "botid", username: "todobot" } as UserProfile } as BotRuntime;
const where = {
  channel: { id: "c", name: "town-square", type: "O" },
  teamId: "t",
  user: { id: "u", name: "alice" },
  source: "http" as const,
};

function message(text: string, mention = true): MessageContext {
  const post = {
    id: "p",
    user_id: "u",
    channel_id: "c",
    root_id: "",
    message: mention ? `@todobot ${text}` : text,
    props: {},
  } as unknown as Post;
  const envelope = fromWireEvent({
    source: "local",
    event: "posted",
    post,
    data: { channel_type: "O" },
  });
  return new MessageContext(envelope as never, services, undefined);
}
const wire = (event: string, data: Record<string, unknown> = {}) => {
  const envelope = fromWireEvent({
    source: "local",
    event,
    data,
    broadcast: { omit_users: null, user_id: "", channel_id: "c", team_id: "" },
  });
  return envelope.kind === "reaction"
    ? new ReactionContext(envelope, services)
    : new EventContext(envelope as never, services);
};
const slot = () => new AnswerSlot(1_000);
const slash = (command: string, text = "") =>
  new SlashContext(
    {
      ...where,
      kind: "slash",
      id: "s",
      payload: {
        command,
        text,
        channel_id: "c",
        channel_name: "",
        team_id: "t",
        team_domain: "",
        user_id: "u",
        user_name: "alice",
        trigger_id: "",
        response_url: "",
      },
    } satisfies SlashEnvelope,
    services,
    slot(),
  );
const click = (actionId: string, data: Record<string, unknown> = {}) =>
  new ActionContext(
    {
      ...where,
      kind: "action",
      id: "a",
      actionId,
      data,
      payload: {
        user_id: "u",
        user_name: "alice",
        channel_id: "c",
        channel_name: "",
        team_id: "t",
        team_domain: "",
        post_id: "p",
        trigger_id: "",
        type: "button",
        data_source: "",
        context: {},
      },
    } satisfies ActionEnvelope,
    services,
    slot(),
  );
const submission = (callbackId: string) =>
  new DialogContext(
    {
      ...where,
      kind: "dialog",
      id: "d",
      payload: {
        type: "dialog_submission",
        callback_id: callbackId,
        state: "",
        user_id: "u",
        channel_id: "c",
        team_id: "t",
        submission: {},
        cancelled: false,
      },
    } satisfies DialogEnvelope,
    services,
    slot(),
  );

async function run(composer: Composer<never>, ctx: Context): Promise<boolean> {
  let fellThrough = false;
  await (composer.middleware() as (c: Context, n: () => Promise<void>) => Promise<void>)(
    ctx,
    async () => void (fellThrough = true),
  );
  return fellThrough;
}

describe("compose", () => {
  it("runs middleware in order around next()", async () => {
    const seen: string[] = [];
    await compose<string[]>([
      async (s, next) => {
        s.push("a1");
        await next();
        s.push("a2");
      },
      (s) => void s.push("b"),
    ])(seen);
    expect(seen).toEqual(["a1", "b", "a2"]);
  });

  it("refuses a second next() in one middleware", async () => {
    await expect(
      compose<object>([
        async (_c, next) => {
          await next();
          await next();
        },
      ])({}),
    ).rejects.toThrow(/more than once/);
  });
});

describe("routing verbs", () => {
  it("use() sees every kind of event, and its sub-composer runs after it", async () => {
    const seen: string[] = [];
    const c = new Composer();
    c.use(async (ctx, next) => {
      seen.push(`log ${ctx.kind}`);
      await next();
    }).command("add", () => void seen.push("add"));
    for (const ctx of [
      message("add x"),
      slash("/todo"),
      click("done1"),
      submission("add"),
      wire("typing"),
    ])
      await run(c as never, ctx);
    expect(seen).toEqual([
      "log message",
      "add",
      "log slash",
      "log action",
      "log dialog",
      "log event",
    ]);
  });

  it("command() matches the first word, case-insensitively, and sets args", async () => {
    const seen: string[] = [];
    const c = new Composer();
    c.command("add", (ctx) => void seen.push(`${ctx.command}:${ctx.args}`));
    c.command(["list", "ls"], (ctx) => void seen.push(ctx.command));
    await run(c as never, message("ADD buy  milk"));
    await run(c as never, message("ls"));
    expect(await run(c as never, message("address book"))).toBe(true);
    expect(seen).toEqual(["add:buy  milk", "ls"]);
  });

  it("message() takes a prefix or a RegExp and exposes the match", async () => {
    const seen: string[] = [];
    const c = new Composer();
    c.message(/^roll (\d+)$/, (ctx) => void seen.push(ctx.match[1] ?? ""));
    c.message("hello", (ctx) => void seen.push(`prefix:${ctx.match[1]}`));
    await run(c as never, message("roll 6"));
    await run(c as never, message("Hello there"));
    await run(c as never, message("bye"));
    expect(seen).toEqual(["6", "prefix:there"]);
  });

  it("mention() sees only messages addressed to the bot; the first matching handler wins", async () => {
    const seen: string[] = [];
    const c = new Composer();
    c.command("ping", () => void seen.push("ping"));
    c.mention(() => void seen.push("mention"));
    await run(c as never, message("ping"));
    await run(c as never, message("anything"));
    await run(c as never, message("not for me", false));
    expect(seen).toEqual(["ping", "mention"]);
  });

  it("on() routes by kind, other WebSocket events by name, and points posted at the message kind", async () => {
    const seen: string[] = [];
    const c = new Composer();
    c.on("reaction", (ctx) => void seen.push(`reaction ${ctx.emoji}`));
    c.on(["typing", "post_deleted"], (ctx) => void seen.push(ctx.name));
    await run(
      c as never,
      wire("reaction_added", {
        reaction: JSON.stringify({ user_id: "u", post_id: "p", emoji_name: "tada" }),
      }),
    );
    await run(c as never, wire("typing"));
    expect(await run(c as never, wire("channel_viewed"))).toBe(true);
    expect(seen).toEqual(["reaction tada", "typing"]);
    expect(() => c.on("posted")).toThrow(/on\("message"\)/);
  });

  it("slash(), action() and dialog() take a name or a RegExp; one action handler serves a whole list", async () => {
    const seen: string[] = [];
    const c = new Composer();
    c.slash("todo", (ctx) => void seen.push(`slash ${ctx.command} ${ctx.text}`));
    c.slash(/^\/deploy-(\w+)$/, (ctx) => void seen.push(`deploy ${ctx.match?.[1]}`));
    c.action(
      /^(done|delete)(\d+)$/,
      (ctx) => void seen.push(`${ctx.match?.[1]} ${String(ctx.data.item)}`),
    );
    c.dialog("add", (ctx) => void seen.push(`dialog ${ctx.callbackId}`));
    await run(c as never, slash("/TODO", "list"));
    await run(c as never, slash("/deploy-prod"));
    await run(c as never, click("done1", { item: "a" }));
    await run(c as never, click("delete7", { item: "b" }));
    expect(await run(c as never, click("add"))).toBe(true);
    await run(c as never, submission("add"));
    expect(seen).toEqual(["slash /todo list", "deploy prod", "done a", "delete b", "dialog add"]);
  });

  it("reaction() takes added reactions of the named emoji", async () => {
    const seen: string[] = [];
    const c = new Composer();
    c.reaction(":white_check_mark:", (ctx) => void seen.push(ctx.postId));
    const reaction = (event: string, emoji: string) =>
      wire(event, { reaction: JSON.stringify({ user_id: "u", post_id: "p", emoji_name: emoji }) });
    await run(c as never, reaction("reaction_added", "white_check_mark"));
    await run(c as never, reaction("reaction_removed", "white_check_mark"));
    await run(c as never, reaction("reaction_added", "tada"));
    expect(seen).toEqual(["p"]);
  });

  it("filter(), drop(), branch() and route() choose the way", async () => {
    const seen: string[] = [];
    const c = new Composer();
    c.filter(
      (ctx) => ctx.channel.name === "ops",
      () => void seen.push("ops only"),
    );
    c.drop((ctx) => ctx.kind === "event").branch(
      (ctx) => ctx.kind === "slash",
      () => void seen.push("a slash"),
      async (_ctx, next) => next(),
    );
    c.route(
      (ctx) => ctx.kind,
      { action: () => void seen.push("routed click") },
      () => void seen.push("fallback"),
    );
    await run(c as never, slash("/x"));
    await run(c as never, click("x"));
    await run(c as never, message("hi"));
    await run(c as never, wire("typing"));
    expect(seen).toEqual(["a slash", "routed click", "fallback", "fallback"]);
  });

  it("errorBoundary() catches what its middleware throws, not what runs after it", async () => {
    const caught: string[] = [];
    const c = new Composer();
    c.errorBoundary(
      (error) =>
        void caught.push(
          error instanceof HandlerError ? String((error.cause as Error).message) : "?",
        ),
      (ctx, next) => (ctx.kind === "slash" ? Promise.reject(new Error("inside")) : next()),
    );
    c.use(() => {
      throw new Error("after");
    });
    await run(c as never, slash("/x"));
    await expect(run(c as never, click("x"))).rejects.toThrow("after");
    expect(caught).toEqual(["inside"]);
  });

  it("finds the apps installed anywhere in the tree", () => {
    const bot = new Composer();
    const inner = new App({ name: "inner" });
    const outer = new App({ name: "outer" });
    outer.use(inner);
    bot.on("message").use(outer);
    expect(() => new App({ name: "Bad Name" })).toThrow(/lower-case letters/);
    expect(findApps(bot).map((app) => app.name)).toEqual(["outer", "inner"]);
  });
});
