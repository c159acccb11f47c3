import { describe, expectTypeOf, it } from "vitest";
import {
  Bot,
  button,
  Composer,
  select,
  type ActionContext,
  type CommandContext,
  type Context,
  type DialogContext,
  type EventContext,
  type MessageAction,
  type MessageContext,
  type ReactionContext,
  type SlashContext,
} from "../../src/index.js";

// Type tests: `tsc` (npm test's typecheck) fails when a verb stops narrowing its handlers' context.
describe("the router's narrowing", () => {
  it("gives each kind of event its own context", () => {
    const bot = new Bot({ url: "http://127.0.0.1:1", token: "t" });
    bot.use((ctx) => expectTypeOf(ctx).toEqualTypeOf<Context>());
    bot.on("message", (ctx) => {
      expectTypeOf(ctx).toMatchTypeOf<MessageContext>();
      expectTypeOf(ctx.post.id).toEqualTypeOf<string>();
    });
    bot.on("reaction", (ctx) => expectTypeOf(ctx.emoji).toEqualTypeOf<string>());
    bot.on("typing", (ctx) => expectTypeOf(ctx).toMatchTypeOf<EventContext>());
    bot.on(["slash", "action"], (ctx) =>
      expectTypeOf(ctx).toMatchTypeOf<SlashContext | ActionContext>(),
    );
    bot.command("add", (ctx) => {
      expectTypeOf(ctx).toMatchTypeOf<CommandContext>();
      expectTypeOf(ctx.args).toEqualTypeOf<string>();
    });
    bot.message(/^ping$/, (ctx) => expectTypeOf(ctx.match).toEqualTypeOf<RegExpMatchArray>());
    bot.slash("/todo", (ctx) => {
      expectTypeOf(ctx).toMatchTypeOf<SlashContext>();
      expectTypeOf(ctx.respond)
        .parameter(0)
        .toMatchTypeOf<string | { text?: string; response_type?: "ephemeral" | "in_channel" }>();
    });
    bot.action(/^done\d+$/, (ctx) => {
      expectTypeOf(ctx).toMatchTypeOf<ActionContext>();
      expectTypeOf(ctx.selected).toEqualTypeOf<string | undefined>();
      expectTypeOf(ctx.data).toEqualTypeOf<Record<string, unknown>>();
    });
    bot.dialog("add", (ctx) => {
      expectTypeOf(ctx).toMatchTypeOf<DialogContext>();
      expectTypeOf(ctx.reject).parameter(0).toEqualTypeOf<Record<string, string>>();
    });
    bot.reaction("tada", (ctx) => expectTypeOf(ctx).toMatchTypeOf<ReactionContext>());
    expectTypeOf(button).returns.toEqualTypeOf<MessageAction>();
    expectTypeOf(select).returns.toEqualTypeOf<MessageAction>();
  });

  it("keeps narrowing through chained verbs and a custom context", () => {
    type MyContext = Context & { tenant: string };
    const composer = new Composer<MyContext>();
    composer
      .on("message")
      .filter((ctx) => ctx.isMention)
      .command("deploy", (ctx) => {
        expectTypeOf(ctx.tenant).toEqualTypeOf<string>();
        expectTypeOf(ctx.post.message).toEqualTypeOf<string>();
        expectTypeOf(ctx.args).toEqualTypeOf<string>();
      });
    composer.on("action").action("x", (ctx) => expectTypeOf(ctx.tenant).toEqualTypeOf<string>());
    // a message context has no click to update
    composer.on("message", (ctx) => {
      // @ts-expect-error update() exists on clicks only
      void ctx.update;
    });
  });
});
