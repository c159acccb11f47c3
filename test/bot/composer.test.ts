import { describe, expect, expectTypeOf, it } from "vitest";
import { compose } from "../../src/bot/compose.js";
import { Composer } from "../../src/bot/composer.js";
import { Context, type ContextServices } from "../../src/bot/context.js";
import { toBotEvent } from "../../src/bot/event.js";
import type { Post } from "../../src/mattermost/types.js";

// Routing needs no network: handlers here only record what they saw.
const services = {} as ContextServices;

function postedContext(text: string, isMention = true): Context {
  const post = { id: "p", user_id: "u", channel_id: "c", root_id: "", message: text, props: {} } as unknown as Post;
  const ctx = new Context(toBotEvent({ source: "local", event: "posted", data: { post: JSON.stringify(post), channel_type: "O" } }), services, undefined);
  ctx.text = text;
  ctx.isMention = isMention;
  return ctx;
}

async function run(composer: Composer, ctx: Context) {
  await compose((composer as unknown as { handlers: Parameters<typeof compose<Context>>[0] }).handlers)(ctx);
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
  it("command() matches the first word, case-insensitively, and sets args", async () => {
    const seen: string[] = [];
    const c = new Composer().command("add", (ctx) => void seen.push(`${ctx.command}:${ctx.args}`)).command(["list", "ls"], (ctx) => void seen.push(ctx.command));
    await run(c, postedContext("ADD buy  milk"));
    await run(c, postedContext("ls"));
    await run(c, postedContext("address book"));
    expect(seen).toEqual(["add:buy  milk", "ls"]);
  });

  it("message() takes a prefix or a RegExp and exposes the match", async () => {
    const seen: string[] = [];
    const c = new Composer().message(/^roll (\d+)$/, (ctx) => void seen.push(ctx.match[1] ?? "")).message("hello", (ctx) => void seen.push(`prefix:${ctx.match[1]}`));
    await run(c, postedContext("roll 6"));
    await run(c, postedContext("Hello there"));
    await run(c, postedContext("bye"));
    expect(seen).toEqual(["6", "prefix:there"]);
  });

  it("mention() sees only messages addressed to the bot; the first matching handler wins", async () => {
    const seen: string[] = [];
    const c = new Composer()
      .command("ping", () => void seen.push("ping"))
      .mention(() => void seen.push("mention"));
    await run(c, postedContext("ping"));
    await run(c, postedContext("anything"));
    await run(c, postedContext("not for me", false));
    expect(seen).toEqual(["ping", "mention"]);
  });

  it("on() routes other events by name", async () => {
    const seen: string[] = [];
    const c = new Composer().on(["reaction_added", "typing"], (ctx) => void seen.push(ctx.event.type));
    const event = (name: string) => new Context(toBotEvent({ source: "local", event: name, data: {} }), services, undefined);
    await run(c, event("reaction_added"));
    await run(c, event("post_deleted"));
    await run(c, event("typing"));
    expect(seen).toEqual(["reaction_added", "typing"]);
  });
});

describe("handler types narrow by verb", () => {
  // checked by `tsc` (npm test typechecks the tests); at run time this only builds the chain
  it("gives command, message and mention handlers a post, and on() a plain context", () => {
    new Composer()
      .command("x", (ctx) => {
        expectTypeOf(ctx.post).toEqualTypeOf<Post>();
        expectTypeOf(ctx.args).toEqualTypeOf<string>();
        expectTypeOf(ctx.command).toEqualTypeOf<string>();
      })
      .message(/x/, (ctx) => expectTypeOf(ctx.match).toEqualTypeOf<RegExpMatchArray>())
      .mention((ctx) => expectTypeOf(ctx.post).toEqualTypeOf<Post>())
      .on("typing", (ctx) => expectTypeOf(ctx.post).toEqualTypeOf<Post | undefined>());
  });
});
