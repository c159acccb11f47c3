/**
 * Routing, after grammY's Composer: one middleware primitive `(ctx, next)`, and every verb built
 * from `use()`. Each verb returns the sub-composer it installed, so routes chain
 * (`bot.on("message").filter(isAdmin).command("deploy", …)`), and narrows the context's type
 * for its handlers (an `action` handler sees the click).
 */
import { randomBytes } from "node:crypto";
import { HandlerError } from "../errors.js";
import { compose, type Middleware, type NextFunction } from "./compose.js";
import type { Context, EventContext, MessageContext, ReactionContext } from "./context.js";
import type { EnvelopeKind } from "./envelope.js";
import { noteInstalled } from "./installed.js";
import type { ActionContext, DialogContext, SlashContext } from "./interaction-context.js";

/** Something with a middleware: a Composer, an App. */
export interface MiddlewareObj<C> {
  middleware(): Middleware<C>;
}
export type MiddlewareLike<C> = Middleware<C> | MiddlewareObj<C>;

/** The context of each kind of event. */
export interface ContextByKind {
  message: MessageContext;
  reaction: ReactionContext;
  event: EventContext;
  slash: SlashContext;
  action: ActionContext;
  dialog: DialogContext;
}
export type ContextOf<K extends EnvelopeKind> = ContextByKind[K];

/** What `command()` handlers see. */
export type CommandContext<C extends Context = Context> = C &
  MessageContext & { command: string; args: string };
/** What `message(RegExp)` handlers see. */
export type MatchContext<C extends Context = Context> = C &
  MessageContext & { match: RegExpMatchArray };

/** Catches what the middleware inside an `errorBoundary` throws. */
export type ErrorHandler<C> = (error: HandlerError, ctx: C) => unknown;

/** WebSocket events that become a kind of their own rather than an `event`. */
const RENAMED = new Map<string, EnvelopeKind>([
  ["posted", "message"],
  ["reaction_added", "reaction"],
  ["reaction_removed", "reaction"],
]);

function flatten<C>(mw: MiddlewareLike<C>): Middleware<C> {
  return typeof mw === "function" ? mw : (ctx, next) => mw.middleware()(ctx, next);
}

export class Composer<C extends Context = Context> implements MiddlewareObj<C> {
  private readonly stack: Middleware<C>[] = [];
  private readonly composed = compose(this.stack); // reads the stack when run: later additions count

  constructor(...middleware: MiddlewareLike<C>[]) {
    for (const mw of middleware) this.add(mw);
  }

  middleware(): Middleware<C> {
    return this.composed;
  }

  private add(mw: MiddlewareLike<C>): void {
    if (typeof mw !== "function") noteInstalled(this, mw);
    this.stack.push(flatten(mw));
  }

  /**
   * Middleware that sees every event; returns a sub-composer that runs after it.
   * @example bot.use(async (ctx, next) => { const t = Date.now(); await next(); ctx.logger.info({ ms: Date.now() - t }, "handled"); })
   */
  use(...middleware: MiddlewareLike<C>[]): Composer<C> {
    const child = new Composer<C>(...middleware);
    this.add(child);
    return child;
  }

  /**
   * Events of one kind (`message`, `reaction`, `event`, `slash`, `action`, `dialog`), their
   * context narrowed; any other name is a WebSocket event (`typing`, `post_edited`, …).
   * @example bot.on("reaction", (ctx) => ctx.logger.info({ emoji: ctx.emoji }, "reacted"))
   */
  on<K extends EnvelopeKind>(
    kind: K | K[],
    ...middleware: MiddlewareLike<C & ContextOf<K>>[]
  ): Composer<C & ContextOf<K>>;
  on(
    eventName: string | string[],
    ...middleware: MiddlewareLike<C & EventContext>[]
  ): Composer<C & EventContext>;
  on<D extends C>(names: string | string[], ...middleware: MiddlewareLike<D>[]): Composer<D> {
    const wanted = new Set(Array.isArray(names) ? names : [names]);
    for (const name of wanted) {
      const kind = RENAMED.get(name);
      if (kind)
        throw new TypeError(
          `on(${JSON.stringify(name)}): these events arrive as the kind "${kind}"; use on("${kind}")`,
        );
    }
    return this.filter(
      (ctx): ctx is D =>
        wanted.has(ctx.kind) ||
        (ctx.kind === "event" && wanted.has((ctx as unknown as EventContext).name)),
      ...middleware,
    );
  }

  /** Runs `middleware` when `predicate` holds (a type guard narrows the context), else goes on. */
  filter<D extends C>(
    predicate: (ctx: C) => ctx is D,
    ...middleware: MiddlewareLike<D>[]
  ): Composer<D>;
  filter(
    predicate: (ctx: C) => boolean | Promise<boolean>,
    ...middleware: MiddlewareLike<C>[]
  ): Composer<C>;
  filter(
    predicate: (ctx: C) => boolean | Promise<boolean>,
    ...middleware: MiddlewareLike<C>[]
  ): Composer<C> {
    const child = new Composer<C>(...middleware);
    const inner = child.middleware();
    noteInstalled(this, child);
    this.stack.push(async (ctx, next) => ((await predicate(ctx)) ? inner(ctx, next) : next()));
    return child;
  }

  /** The opposite of `filter`: skips `middleware` when `predicate` holds. */
  drop(
    predicate: (ctx: C) => boolean | Promise<boolean>,
    ...middleware: MiddlewareLike<C>[]
  ): Composer<C> {
    return this.filter(async (ctx) => !(await predicate(ctx)), ...middleware);
  }

  /** One of two ways, by `predicate`. */
  branch(
    predicate: (ctx: C) => boolean | Promise<boolean>,
    whenTrue: MiddlewareLike<C>,
    whenFalse: MiddlewareLike<C>,
  ): Composer<C> {
    const yes = flatten(whenTrue);
    const no = flatten(whenFalse);
    for (const mw of [whenTrue, whenFalse]) if (typeof mw !== "function") noteInstalled(this, mw);
    return this.use(async (ctx, next) => ((await predicate(ctx)) ? yes(ctx, next) : no(ctx, next)));
  }

  /**
   * One of several ways, by the key `router` gives; `fallback` (or the next middleware) for others.
   * @example bot.route((ctx) => ctx.channel.name, { ops: opsHandlers, "town-square": generalHandlers })
   */
  route<K extends string>(
    router: (ctx: C) => K | undefined | Promise<K | undefined>,
    routes: Partial<Record<K, MiddlewareLike<C>>>,
    fallback?: MiddlewareLike<C>,
  ): Composer<C> {
    const table = new Map<string, Middleware<C>>();
    for (const [key, mw] of Object.entries(routes) as [K, MiddlewareLike<C>][]) {
      table.set(key, flatten(mw));
      if (typeof mw !== "function") noteInstalled(this, mw);
    }
    const other = fallback && flatten(fallback);
    if (fallback && typeof fallback !== "function") noteInstalled(this, fallback);
    return this.use(async (ctx, next) => {
      const key = await router(ctx);
      const mw = (key !== undefined && table.get(key)) || other;
      return mw ? mw(ctx, next) : next();
    });
  }

  /**
   * Catches what `middleware` throws (not what runs after it): `handler` gets a `HandlerError`
   * with a fresh reference. The bot's own `catch()` is the outermost boundary.
   */
  errorBoundary(handler: ErrorHandler<C>, ...middleware: MiddlewareLike<C>[]): Composer<C> {
    const child = new Composer<C>(...middleware);
    const inner = child.middleware();
    noteInstalled(this, child);
    this.stack.push(async (ctx, next) => {
      let downstream = false;
      const passOn: NextFunction = () => {
        downstream = true;
        return next();
      };
      try {
        await inner(ctx, passOn);
      } catch (cause) {
        if (downstream) throw cause; // thrown after the boundary: not ours to catch
        await handler(new HandlerError(randomBytes(4).toString("hex"), ctx.kind, cause), ctx);
      }
    });
    return child;
  }

  /**
   * A message whose text (bot mention removed) starts with `pattern` or matches the RegExp.
   * @example bot.message(/^ping$/i, (ctx) => ctx.reply("pong"))
   */
  message(
    pattern: string | RegExp,
    ...middleware: MiddlewareLike<MatchContext<C>>[]
  ): Composer<MatchContext<C>> {
    return this.filter(
      (ctx): ctx is MatchContext<C> => {
        if (ctx.kind !== "message") return false;
        const m = ctx as unknown as MessageContext;
        const match =
          typeof pattern === "string" ? prefixMatch(m.text, pattern) : m.text.match(pattern);
        if (!match) return false;
        m.match = match;
        return true;
      },
      ...middleware,
    );
  }

  /**
   * A message that @-mentions the bot, names it by a trigger word, or is in a DM with it.
   * @example bot.mention((ctx) => ctx.reply(`You said: ${ctx.text}`))
   */
  mention(...middleware: MiddlewareLike<C & MessageContext>[]): Composer<C & MessageContext> {
    return this.filter(
      (ctx): ctx is C & MessageContext =>
        ctx.kind === "message" && (ctx as unknown as MessageContext).isMention,
      ...middleware,
    );
  }

  /**
   * A text command: the first word of the message (after the bot mention) equals `name`,
   * case-insensitively. `ctx.args` is the rest, spacing kept.
   * @example bot.command("echo", (ctx) => ctx.reply(ctx.args))
   */
  command(
    name: string | string[],
    ...middleware: MiddlewareLike<CommandContext<C>>[]
  ): Composer<CommandContext<C>> {
    const names = new Set((Array.isArray(name) ? name : [name]).map((n) => n.toLowerCase()));
    return this.filter(
      (ctx): ctx is CommandContext<C> => {
        if (ctx.kind !== "message") return false;
        const m = ctx as unknown as MessageContext;
        const word = /^\S*/.exec(m.text)?.[0] ?? "";
        if (!names.has(word.toLowerCase())) return false;
        m.command = word.toLowerCase();
        m.args = m.text.slice(word.length).trim();
        return true;
      },
      ...middleware,
    );
  }

  /**
   * A slash command by its trigger (`/todo` or `todo`) or a RegExp on it (`ctx.match`).
   * @example bot.slash("/todo", (ctx) => ctx.respond(`You said ${ctx.text}`))
   */
  slash(
    command: string | RegExp,
    ...middleware: MiddlewareLike<C & SlashContext>[]
  ): Composer<C & SlashContext> {
    const wanted =
      typeof command === "string" ? `/${command.replace(/^\//, "").toLowerCase()}` : command;
    return this.filter(
      (ctx): ctx is C & SlashContext => {
        if (ctx.kind !== "slash") return false;
        const s = ctx as unknown as SlashContext;
        return matches(wanted, s.command, s);
      },
      ...middleware,
    );
  }

  /**
   * Clicks on buttons and picks in menus built with `button(id, …)` / `select(id, …)`, by id or
   * by a RegExp on the id: one handler for a whole list's buttons.
   * @example bot.action(/^done\d+$/, (ctx) => markDone(ctx.data.item))
   */
  action(
    actionId: string | RegExp,
    ...middleware: MiddlewareLike<C & ActionContext>[]
  ): Composer<C & ActionContext> {
    return this.filter(
      (ctx): ctx is C & ActionContext => {
        if (ctx.kind !== "action") return false;
        const a = ctx as unknown as ActionContext;
        return matches(actionId, a.actionId, a);
      },
      ...middleware,
    );
  }

  /**
   * Submissions (and cancellations, when asked) of dialogs opened with `ctx.openDialog()`, by
   * `callback_id` or a RegExp on it. `ctx.reject({field: message})` keeps the dialog open.
   * @example bot.dialog("addtodo", (ctx) => (ctx.submission.text ? save(ctx) : ctx.reject({ text: "Required" })))
   */
  dialog(
    callbackId: string | RegExp,
    ...middleware: MiddlewareLike<C & DialogContext>[]
  ): Composer<C & DialogContext> {
    return this.filter(
      (ctx): ctx is C & DialogContext => {
        if (ctx.kind !== "dialog") return false;
        const d = ctx as unknown as DialogContext;
        return matches(callbackId, d.callbackId, d);
      },
      ...middleware,
    );
  }

  /**
   * Reactions added with one of these emoji (names without colons); `on("reaction")` sees removals too.
   * @example bot.reaction("white_check_mark", (ctx) => ctx.reply("Marked done"))
   */
  reaction(
    emoji: string | string[],
    ...middleware: MiddlewareLike<C & ReactionContext>[]
  ): Composer<C & ReactionContext> {
    const names = new Set(
      (Array.isArray(emoji) ? emoji : [emoji]).map((e) => e.replace(/^:|:$/g, "")),
    );
    return this.filter(
      (ctx): ctx is C & ReactionContext =>
        ctx.kind === "reaction" &&
        (ctx as unknown as ReactionContext).added &&
        names.has((ctx as unknown as ReactionContext).emoji),
      ...middleware,
    );
  }
}

function matches(
  wanted: string | RegExp,
  value: string,
  ctx: { match: RegExpMatchArray | undefined },
): boolean {
  if (typeof wanted === "string") return wanted === value;
  const match = value.match(wanted);
  if (match) ctx.match = match;
  return match !== null;
}

function prefixMatch(text: string, prefix: string): RegExpMatchArray | null {
  if (!text.toLowerCase().startsWith(prefix.toLowerCase())) return null;
  const match = [
    text.slice(0, prefix.length),
    text.slice(prefix.length).trim(),
  ] as unknown as RegExpMatchArray;
  match.index = 0;
  match.input = text;
  return match;
}
