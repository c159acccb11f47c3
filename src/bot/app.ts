/**
 * An app is a plugin: a Composer (its handlers) plus what it needs from the bot — its own
 * migrations, applied to the bot's store when the bot starts, trigger words, and a start hook
 * that gets the store and the client. Installed with `bot.use(app)`, anywhere in the tree.
 */
import type { Migration } from "kysely";
import { checkAppName } from "../store/app-migrations.js";
import { Composer } from "./composer.js";
import type { Context } from "./context.js";
import { installedUnder } from "./installed.js";
import type { BotRuntime } from "./runtime.js";

/** What an app gets when the bot starts (its migrations are applied by then): the bot's runtime. */
export type AppRuntime = BotRuntime;

export interface AppOptions {
  /** Lower-case letters, digits and `_`; names the app's migration table (`<name>_migration`). */
  name: string;
  /** Kysely migrations by name (applied in name order); never edit a released one, add the next. */
  migrations?: Record<string, Migration>;
  /** Outgoing webhooks' trigger words the app answers: a post starting with one is addressed to the bot. */
  triggerWords?: string[];
  /** Runs once the store is open and migrated, before any event. */
  start?(runtime: AppRuntime): void | Promise<void>;
  /** Runs when the bot stops, after the handlers have finished: end work the app runs on its own. */
  stop?(): void | Promise<void>;
  /**
   * Whether the app follows the thread of this root post: then, with `mentionOnly`, the
   * thread's posts reach the handlers without a mention (as a conversation goes on).
   */
  followsThread?(rootId: string): boolean | Promise<boolean>;
}

/**
 * @example
 * const hello = new App({ name: "hello" });
 * hello.command("hello", (ctx) => ctx.reply(`Hello @${ctx.user.name}`));
 * bot.use(hello);
 */
export class App<C extends Context = Context> extends Composer<C> {
  readonly name: string;
  readonly migrations: Record<string, Migration>;
  readonly triggerWords: readonly string[];

  constructor(private readonly options: AppOptions) {
    super();
    checkAppName(options.name);
    this.name = options.name;
    this.migrations = options.migrations ?? {};
    this.triggerWords = options.triggerWords ?? [];
  }

  /** Called by the bot at start. @internal */
  async start(runtime: AppRuntime): Promise<void> {
    await this.options.start?.(runtime);
  }

  /** Called by the bot at stop. @internal */
  async stop(): Promise<void> {
    await this.options.stop?.();
  }

  /** Asked by the pipeline's policy stage, with `mentionOnly`, for a post without a mention. @internal */
  async followsThread(rootId: string): Promise<boolean> {
    return (await this.options.followsThread?.(rootId)) ?? false;
  }
}

/** What the bot needs of an installed app, whatever its context type. */
export type InstalledApp = Pick<
  App,
  "name" | "migrations" | "triggerWords" | "start" | "stop" | "followsThread"
>;

/** The apps installed anywhere under `root` (a bot, a Composer), each once, in the order they were installed. */
export function findApps(root: object): InstalledApp[] {
  return [...installedUnder(root)].filter((node): node is App => node instanceof App);
}
