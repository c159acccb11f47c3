import type { Post } from "../mattermost/types.js";
import { compose, type Middleware } from "./compose.js";
import type { Context } from "./context.js";

/** A context whose event carries a post: what message, mention and command handlers see. */
export type PostContext = Context & { readonly post: Post };
/** A context matched by `message(RegExp)`. */
export type MatchContext = PostContext & { match: RegExpMatchArray };
/** A context matched by `command(name)`. */
export type CommandContext = PostContext & { command: string; args: string };

function hasPost(ctx: Context): ctx is PostContext {
  return ctx.event.type === "posted" && ctx.post !== undefined;
}

/**
 * Routing verbs, all built from `use()` (after grammY's Composer). Handlers run in the order
 * they were added; a handler that does not call `next()` ends the chain.
 */
export class Composer {
  protected readonly handlers: Middleware<Context>[] = [];

  /** Adds middleware that sees every event. */
  use(...middleware: Middleware<Context>[]): this {
    this.handlers.push(...middleware);
    return this;
  }

  /**
   * Any WebSocket event by name (`posted`, `reaction_added`, `typing`, …).
   * @example bot.on("reaction_added", (ctx) => ctx.logger.info(ctx.event.data))
   */
  on(event: string | string[], ...middleware: Middleware<Context>[]): this {
    const names = new Set(Array.isArray(event) ? event : [event]);
    return this.filter((ctx) => names.has(ctx.event.type), middleware);
  }

  /**
   * A posted message whose text (bot mention removed) starts with `pattern` or matches the RegExp.
   * @example bot.message(/^ping$/i, (ctx) => ctx.reply("pong"))
   */
  message(pattern: string | RegExp, ...middleware: Middleware<MatchContext>[]): this {
    return this.use((ctx, next) => {
      if (!hasPost(ctx)) return next();
      const match = typeof pattern === "string" ? prefixMatch(ctx.text, pattern) : ctx.text.match(pattern);
      if (!match) return next();
      ctx.match = match;
      return compose(middleware)(ctx as MatchContext, next);
    });
  }

  /**
   * A posted message that @-mentions the bot, or any message in a DM with it.
   * @example bot.mention((ctx) => ctx.reply(`You said: ${ctx.text}`))
   */
  mention(...middleware: Middleware<PostContext>[]): this {
    return this.use((ctx, next) => (hasPost(ctx) && ctx.isMention ? compose(middleware)(ctx, next) : next()));
  }

  /**
   * A text command: the first word of the message (after the bot mention) equals `name`.
   * `ctx.args` is the rest. Case-insensitive.
   * @example bot.command("echo", (ctx) => ctx.reply(ctx.args))
   */
  command(name: string | string[], ...middleware: Middleware<CommandContext>[]): this {
    const names = new Set((Array.isArray(name) ? name : [name]).map((n) => n.toLowerCase()));
    return this.use((ctx, next) => {
      if (!hasPost(ctx)) return next();
      const word = /^\S*/.exec(ctx.text)?.[0] ?? "";
      if (!names.has(word.toLowerCase())) return next();
      ctx.command = word.toLowerCase();
      ctx.args = ctx.text.slice(word.length).trim(); // the user's spacing is kept
      return compose(middleware)(ctx as CommandContext, next);
    });
  }

  private filter(predicate: (ctx: Context) => boolean, middleware: Middleware<Context>[]): this {
    const composed = compose(middleware);
    return this.use((ctx, next) => (predicate(ctx) ? composed(ctx, next) : next()));
  }
}

function prefixMatch(text: string, prefix: string): RegExpMatchArray | null {
  if (!text.toLowerCase().startsWith(prefix.toLowerCase())) return null;
  const match = [text.slice(0, prefix.length), text.slice(prefix.length).trim()] as unknown as RegExpMatchArray;
  match.index = 0;
  match.input = text;
  return match;
}
