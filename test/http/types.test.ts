import { describe, expectTypeOf, it } from "vitest";
import { Bot, button, select, type ActionContext, type DialogAnswer, type DialogContext, type MessageAction, type SlashContext } from "../../src/index.js";

describe("public types of the HTTP integrations", () => {
  it("gives each handler its own context, and dialog handlers their answer type", () => {
    const bot = new Bot({ url: "http://127.0.0.1:1", token: "t" });
    bot
      .slash("/todo", (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<SlashContext>();
        expectTypeOf(ctx.respond).parameter(0).toMatchTypeOf<string | { text?: string; response_type?: "ephemeral" | "in_channel" }>();
      })
      .action("done", (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<ActionContext>();
        expectTypeOf(ctx.selected).toEqualTypeOf<string | undefined>();
        expectTypeOf(ctx.data).toEqualTypeOf<Record<string, unknown>>();
      })
      .dialog("add", (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<DialogContext>();
        return { errors: { text: "Required" } };
      });
    expectTypeOf<DialogAnswer>().toMatchTypeOf<{ errors?: Record<string, string> } | void>();
    expectTypeOf(button).returns.toEqualTypeOf<MessageAction>();
    expectTypeOf(select).returns.toEqualTypeOf<MessageAction>();
  });
});
