import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { todo } from "../../src/apps/todo/index.js";
import { Bot, type BotOptions } from "../../src/bot/bot.js";
import type { Source } from "../../src/bot/source.js";
import { HttpSource, type HttpSourceOptions } from "../../src/sources/http.js";
import { WebSocketSource } from "../../src/sources/websocket.js";
import type { Policy } from "../../src/bot/policy.js";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type SandboxOptions, type SeedResult } from "../../src/sandbox/index.js";

export interface Harness {
  sandbox: Sandbox;
  seed: SeedResult;
  bot: Bot;
  /** Where the bot's HTTP source is reached (with the `http` option). */
  httpUrl: string;
  /** The bot's HTTP source (with the `http` option). */
  httpSource: HttpSource | undefined;
  storeUrl: string;
  /** Posts as a user; resolves with the post. */
  say(user: keyof SeedResult["users"], channelId: string, message: string, rootId?: string): Post;
  /** The bot's next post in the thread of `post` (or, with `inChannel`, in its channel with no root). */
  replyTo(post: Post, options?: { inChannel?: boolean; timeoutMs?: number }): Promise<Post>;
  /** Every post of the bot in the thread of `root`. */
  botPostsInThread(root: Post): Post[];
  /** Starts another bot on the same store (a restart). */
  restartBot(): Promise<Bot>;
  /** Runs `work` while the bot's WebSocket is down, so only HTTP (webhooks) can deliver. */
  withoutWebSocket<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The harness's WebSocket timings: short, so tests of drops and restarts are quick. */
export const harnessWebSocketOptions = {
  pingIntervalMs: 1_000,
  backoff: { initialMs: 20, maxMs: 200 },
  catchUpOverlapMs: 2_000,
};

/** The bot's options, and `http` for an HTTP source (with the bot-level `answerWithinMs` and `triggerWords` beside its own). */
export type HarnessBotOptions = Partial<BotOptions> & {
  http?: HttpSourceOptions & Pick<BotOptions, "answerWithinMs" | "triggerWords">;
};

/**
 * A seeded sandbox and a bot connected to it over real HTTP and WebSocket, with a fresh
 * SQLite store. `setup` registers handlers (default: the todo app). `bot` may be a function of
 * the seeded sandbox, to register integrations first and give the bot their tokens.
 */
export async function startHarness(
  options: {
    policy?: Partial<Policy>;
    setup?: (bot: Bot) => void;
    storeUrl?: string;
    /** The bot's Mattermost source (default: a WebSocketSource with short timings); called at each (re)start. */
    mattermostSource?: () => Source;
    bot?: HarnessBotOptions | ((sandbox: Sandbox, seed: SeedResult) => HarnessBotOptions);
    /** The sandbox's options (e.g. a smaller `maxPostSize`). */
    sandbox?: SandboxOptions;
  } = {},
): Promise<Harness> {
  const sandbox = await Sandbox.start(options.sandbox);
  const seed = sandbox.seed();
  const botOptions = typeof options.bot === "function" ? options.bot(sandbox, seed) : options.bot;
  const storeUrl =
    options.storeUrl ?? `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-e2e-")), "bot.db")}`;
  const { http, ...rest } = botOptions ?? {};
  let httpSource: HttpSource | undefined;
  const makeBot = async () => {
    const bot = new Bot({
      url: sandbox.url,
      token: seed.bot.token,
      store: storeUrl,
      policy: { allowedUsers: "*", ...options.policy },
      answerWithinMs: http?.answerWithinMs,
      triggerWords: http?.triggerWords,
      ...rest,
    });
    (options.setup ?? ((b: Bot) => void b.use(todo())))(bot);
    const sources: Source[] = [
      options.mattermostSource?.() ?? new WebSocketSource(harnessWebSocketOptions),
    ];
    httpSource = http && new HttpSource(http);
    if (httpSource) sources.push(httpSource);
    await bot.start(...sources);
    return bot;
  };
  let bot = await makeBot();
  // posts that existed when each user post was made: a reply is a bot post not among them
  const before = new WeakMap<Post, Set<string>>();
  const harness: Harness = {
    sandbox,
    seed,
    get bot() {
      return bot;
    },
    get httpSource() {
      return httpSource;
    },
    get httpUrl() {
      if (!httpSource)
        throw new Error("the harness's bot has no HTTP source: give the http option");
      return httpSource.publicUrl;
    },
    storeUrl,
    say(user, channelId, message, rootId) {
      const existing = new Set(sandbox.channelPosts(channelId).map((p) => p.id));
      const post = sandbox.post(seed.users[user].user.id, {
        channel_id: channelId,
        message,
        root_id: rootId,
      });
      before.set(post, existing);
      return post;
    },
    replyTo(post, opts = {}) {
      const botId = seed.bot.user.id;
      const root = post.root_id || post.id;
      return sandbox.waitForPost(
        (p) =>
          p.user_id === botId &&
          p.channel_id === post.channel_id &&
          !before.get(post)?.has(p.id) &&
          (opts.inChannel ? p.root_id === "" : p.root_id === root),
        { timeoutMs: opts.timeoutMs ?? 5_000 },
      );
    },
    botPostsInThread(root) {
      return sandbox.thread(root.id).filter((p) => p.user_id === seed.bot.user.id);
    },
    async withoutWebSocket(work) {
      sandbox.setWebSocketAvailable(false);
      sandbox.dropConnections(seed.bot.user.id);
      try {
        return await work();
      } finally {
        sandbox.setWebSocketAvailable(true);
      }
    },
    async restartBot() {
      await bot.stop();
      bot = await makeBot();
      return bot;
    },
    async close() {
      await bot.stop();
      await sandbox.close();
    },
  };
  return harness;
}
