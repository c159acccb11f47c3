import { createHash, randomBytes } from "node:crypto";
import { isTokenRefusal, MattermostApiError, MmbotError, TokenRefusedError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import type { MessageAttachment } from "../http/attachments.js";
import { Backoff, sleep } from "../mattermost/backoff.js";
import { MattermostClient } from "../mattermost/rest.js";
import { versionLabel, type ServerInfo } from "../mattermost/server-info.js";
import { isRetryableError } from "../mattermost/retry.js";
import { whyUnreachable } from "../mattermost/unreachable.js";
import type { Post, UserProfile } from "../mattermost/types.js";
import { kysely } from "../store/kysely.js";
import { openStore, type Store } from "../store/index.js";
import { findApps, type InstalledApp } from "./app.js";
import { CLAIM_LEASE_MS, Claims } from "./claims.js";
import { Composer } from "./composer.js";
import type { Envelope } from "./envelope.js";
import type { BotObserver, Readiness } from "./observer.js";
import { Outbox, postEntries } from "./outbox.js";
import { warnLostOverrides } from "./override-check.js";
import { Pipeline, type BotErrorHandler } from "./pipeline.js";
import { defaultPolicy, type Policy } from "./policy.js";
import type { BotRuntime } from "./runtime.js";
import type { Source } from "./source.js";
import { defaultTexts, type BotTexts } from "./texts.js";
import { DEFAULT_TOKEN_FIX, TokenWatch } from "./token-watch.js";

export interface BotOptions {
  /** The server, e.g. `https://chat.example.com` (a trailing slash is fine). */
  url: string;
  /** The bot account's access token. */
  token: string;
  /**
   * The REST budget: at most this many requests a second (default 8, under the server's default
   * limit of 10), fewer when the server's rate-limit headers say so; calls over it wait, replies
   * before edits, typing skipped. 0 turns it off. See `RestClientOptions.maxRequestsPerSecond`.
   */
  maxRequestsPerSecond?: number;
  /** A store URL (`sqlite:./data/mmbot.db`, `postgres://…`) or an open store. */
  store?: string | Store;
  policy?: Partial<Policy>;
  logger?: Logger;
  fetch?: typeof fetch;
  /** Outgoing webhooks' trigger words: a post starting with one is addressed to the bot, whatever its source. */
  triggerWords?: string[];
  /** A slash command, click or dialog whose handlers take longer is acknowledged and answered later (default 2500 ms). */
  answerWithinMs?: number;
  /** A message handler still running after this long shows "typing…", repeated every `typingIntervalMs`. */
  typingDelayMs?: number;
  typingIntervalMs?: number;
  /**
   * A post's claim is renewed while its handler runs; one neither finished nor renewed for this
   * long (its instance was killed mid-way) is handled again by any instance (default 10 s,
   * renewed every 3 s; instances look for abandoned claims every tenth of it).
   */
  claimLeaseMs?: number;
  /**
   * At a first start (a store with no catch-up cursor) what was posted since this time (ms since
   * the epoch) is answered, nothing older: a message sent while the bot was starting is not lost.
   * Default: when the Bot was created (`mmbot start`: when its process started).
   */
  startedAt?: number;
  /** The texts the bot says on its own (refusals, failures); replace some to fit your service. */
  texts?: Partial<BotTexts>;
  /** Told what the bot does (events, posts, REST requests, sources' states): e.g. `new BotMetrics()` of `mmbot/metrics`. */
  observer?: BotObserver;
  /**
   * How often the token is checked while the bot runs (default 60 s): an expired or revoked
   * token leaves the WebSocket open but silent, so only REST tells. Any REST call's 401 tells too.
   */
  tokenCheckMs?: number;
  /** The fix said when the token is refused (default: give the bot a valid access token). */
  tokenFix?: string;
  /** What to do when the server cannot be reached at start, said after the likely cause (default: check the server's address). */
  unreachableFix?: string;
}

export const DEFAULT_ANSWER_WITHIN_MS = 2_500;
/** A store slower than this to answer `select 1` makes the bot not ready. */
const STORE_CHECK_TIMEOUT_MS = 1_000;

/**
 * A Mattermost bot: handlers on a Composer, fed by sources, answering through a durable outbox.
 * @example
 * const bot = new Bot({ url: "http://localhost:8065", token: process.env.MATTERMOST_BOT_TOKEN! });
 * bot.command("ping", (ctx) => ctx.reply("pong"));
 * await bot.start(new WebSocketSource());
 */
export class Bot extends Composer {
  readonly client: MattermostClient;
  readonly logger: Logger;
  readonly policy: Policy;
  readonly observer: BotObserver | undefined;
  private readonly instanceId = randomBytes(6).toString("hex");
  private errorHandler: BotErrorHandler | undefined;
  private ownsStore = false;
  /** Built once by `init()`: what every part of the running bot shares. */
  private runtime: BotRuntime | undefined;
  private claims: Claims | undefined;
  private pipeline: Pipeline | undefined;
  private sources: Source[] = [];
  private readonly triggerWords: string[];
  private readonly startedAt: number;
  private readonly tokenWatch: TokenWatch;

  constructor(private readonly options: BotOptions) {
    super();
    this.startedAt = options.startedAt ?? Date.now();
    this.logger = options.logger ?? silentLogger();
    this.policy = { ...defaultPolicy, ...options.policy };
    this.observer = options.observer;
    this.tokenWatch = new TokenWatch({
      logger: this.logger,
      intervalMs: options.tokenCheckMs ?? 60_000,
      fix: options.tokenFix ?? DEFAULT_TOKEN_FIX,
    });
    const restObservers = [this.tokenWatch.rest, options.observer?.rest];
    this.client = new MattermostClient({
      url: options.url,
      token: options.token,
      fetch: options.fetch,
      logger: this.logger,
      observer: {
        response: (method, status, path) =>
          restObservers.forEach((o) => o?.response?.(method, status, path)),
        retry: (method, status, delayMs) =>
          options.observer?.rest?.retry?.(method, status, delayMs),
      },
      maxRequestsPerSecond: options.maxRequestsPerSecond,
    });
    this.triggerWords = [...(options.triggerWords ?? [])];
  }

  /** Replaces the default error handler (a reply with the failure's reference id). */
  catch(handler: BotErrorHandler): this {
    this.errorHandler = handler;
    return this;
  }

  /** The bot's own user, known after `init()`/`start()`. */
  get user(): UserProfile {
    return this.started().me;
  }

  /** The server (version, `MaxPostSize`, override settings), read once by `init()`/`start()`. */
  get server(): ServerInfo {
    return this.started().server;
  }

  /** The bot's store (SQLite or PostgreSQL), open after `init()`/`start()`; apps keep their data there. */
  get store(): Store {
    return this.started().store;
  }

  /** The apps installed with `use()`, anywhere in the tree. */
  get apps(): InstalledApp[] {
    return findApps(this);
  }

  /**
   * Opens the store, applies the apps' migrations, learns who the bot is and starts the apps;
   * `start()` calls it. Use it alone to `handle()` envelopes in tests.
   */
  async init(): Promise<void> {
    if (this.pipeline) return;
    const { options, client, logger, observer } = this;
    let store: Store;
    if (typeof options.store === "object") store = options.store;
    else {
      store = await openStore(options.store ?? "sqlite:./data/mmbot.db", { logger });
      this.ownsStore = true;
    }
    const apps = this.apps;
    for (const app of apps) await store.migrateApp(app);
    const kept = await keptIdentity(store, options.token);
    const me = await whoAmI(
      client,
      logger,
      {
        tokenFix: options.tokenFix ?? DEFAULT_TOKEN_FIX,
        unreachableFix: options.unreachableFix ?? "check the server's address (url)",
      },
      kept,
    );
    if (me !== kept) await keepIdentity(store, options.token, me, logger);
    const server = await client.serverInfo();
    logger.info(
      { version: server.version || undefined, maxPostSize: server.maxPostSize },
      `Mattermost server ${versionLabel(server)}`,
    );
    const runtime: BotRuntime = {
      client,
      token: options.token,
      store,
      outbox: new Outbox({ client, logger, observer, store }),
      logger,
      me,
      server,
      observer,
      policy: this.policy,
      texts: { ...defaultTexts, ...options.texts },
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      answerWithinMs: options.answerWithinMs ?? DEFAULT_ANSWER_WITHIN_MS,
      startedAt: this.startedAt,
      interactionUrls: undefined,
      handle: (envelope) => this.handle(envelope),
      hasSeen: (postId) => claims.hasSeen(postId),
      provideInteractions: (urls) => void (runtime.interactionUrls = urls),
    };
    this.runtime = runtime;
    const claims: Claims = new Claims(runtime, {
      owner: this.instanceId,
      leaseMs: options.claimLeaseMs ?? CLAIM_LEASE_MS,
      retake: (envelope) => pipeline.retake(envelope),
    });
    for (const app of apps) {
      for (const word of app.triggerWords)
        if (!this.triggerWords.includes(word)) this.triggerWords.push(word);
      await app.start(runtime);
    }
    const pipeline: Pipeline = new Pipeline(runtime, claims, {
      handler: this.middleware(),
      errorHandler: () => this.errorHandler,
      triggerWords: this.triggerWords,
      typingDelayMs: options.typingDelayMs ?? 300,
      typingIntervalMs: options.typingIntervalMs ?? 4_000,
      followsThread: async (rootId) => {
        for (const app of apps) if (await app.followsThread(rootId)) return true;
        return false;
      },
    });
    this.claims = claims;
    this.pipeline = pipeline;
    observer?.attach?.({ store, readiness: () => this.readiness() });
  }

  /**
   * Whether the bot can do its work: the store answers, the server accepts the token, and every
   * started source that reports its state (the WebSocket: connected) is live. What `/readyz` answers.
   */
  async readiness(): Promise<Readiness> {
    const checks: Readiness["checks"] = {};
    checks.store = this.runtime
      ? await storeAnswers(this.runtime.store)
      : { ok: false, reason: "the bot is not started" };
    if (this.sources.length === 0) checks.sources = { ok: false, reason: "no source started yet" };
    const token = this.tokenWatch.readiness();
    if (!token.ok) checks.token = token;
    for (const source of this.sources) {
      const state = source.readiness?.();
      if (state) checks[source.name] = state;
    }
    return { ready: Object.values(checks).every((check) => check.ok), checks };
  }

  /**
   * Starts the sources (e.g. `new WebSocketSource()`, `new HttpSource({...})`) and handles what
   * they receive until `stop()`. Resolves once every source is live.
   */
  async start(...sources: Source[]): Promise<void> {
    if (sources.length === 0)
      throw new TypeError(
        "bot.start() needs at least one source, e.g. bot.start(new WebSocketSource())",
      );
    await this.init();
    const runtime = this.started();
    runtime.outbox.start();
    this.claims!.start();
    this.tokenWatch.start(this.client);
    for (const source of sources) {
      await source.start(runtime);
      this.sources.push(source);
    }
    this.logger.info(
      { user: this.user.username, userId: this.user.id, sources: this.sources.map((s) => s.name) },
      `connected as @${this.user.username}`,
    );
  }

  /**
   * Stops the sources (no new events), lets running handlers finish and their replies go out
   * (at most `graceMs` for both, default: as long as they take), then closes the store.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.graceMs ?? Infinity);
    this.tokenWatch.stop();
    for (const source of this.sources.reverse()) await source.stop();
    this.sources = [];
    if (this.pipeline && !(await finishesBy(this.pipeline.drain(), deadline))) {
      this.logger.warn(
        { graceMs: options.graceMs },
        "stop: handlers still running after the grace period; stopping without them",
      );
    }
    await this.claims?.stop();
    if (this.pipeline) for (const app of this.apps) await app.stop();
    // the apps ended the work their handlers left running: its claims are finished before the store closes
    if (this.claims && !(await finishesBy(this.claims.settleHeld(), deadline))) {
      this.logger.warn(
        { graceMs: options.graceMs },
        "stop: work left running by handlers did not end within the grace period; its posts are handled again after the next start",
      );
    }
    const outbox = this.runtime?.outbox;
    outbox?.stop();
    // replies that failed earlier get their last try now rather than at the next start
    if (outbox && !(await finishesBy(outbox.flushPending(), deadline))) {
      this.logger.warn(
        { graceMs: options.graceMs },
        "stop: replies still being sent after the grace period; they go out at the next start",
      );
    }
    if (this.ownsStore) await this.runtime?.store.close();
    this.runtime = undefined;
    this.claims = undefined;
    this.pipeline = undefined;
  }

  /**
   * Handles one envelope as if a source had produced it: dedupe, claim, policy, handlers.
   * Resolves with an interaction's inline answer, or `{}`. The in-process entry point for tests.
   */
  handle(envelope: Envelope): Promise<object> {
    if (!this.pipeline)
      throw new Error("the bot is not started: call bot.start() (or bot.init()) first");
    return this.pipeline.handle(envelope);
  }

  /**
   * Sends a post as the bot through the outbox, outside any handler. Long text is split at
   * the server's limit (its `MaxPostSize`); `fileIds` (from `client.uploadFile`) go with the last part.
   */
  async send(
    channelId: string,
    message: string,
    options: {
      rootId?: string;
      props?: Record<string, unknown>;
      attachments?: MessageAttachment[];
      fileIds?: string[];
    } = {},
  ): Promise<Post[]> {
    const runtime = this.started();
    const { outbox, interactionUrls: urls } = runtime;
    let props = options.props;
    warnLostOverrides(runtime, props);
    if (options.attachments) {
      if (!urls && options.attachments.some((a) => a.actions?.length))
        throw new Error("buttons and menus need an HTTP source on the bot, started");
      props = {
        ...props,
        attachments: urls
          ? urls.signAttachments(options.attachments, channelId)
          : options.attachments,
      };
    }
    return outbox.send(
      postEntries({
        channelId,
        rootId: options.rootId ?? "",
        text: message,
        props,
        fileIds: options.fileIds,
        limit: runtime.server.maxPostSize,
      }),
    );
  }

  private started(): BotRuntime {
    if (!this.runtime)
      throw new Error("the bot is not started: call bot.start() (or bot.init()) first");
    return this.runtime;
  }
}

/** Whether `work` settled before `deadline` (ms since the epoch; Infinity waits as long as it takes). */
async function finishesBy(work: Promise<unknown>, deadline: number): Promise<boolean> {
  if (deadline === Infinity) return work.then(() => true);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>(
    (resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))),
  );
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** `select 1` within the timeout: a store that is down or stuck makes the bot not ready. */
async function storeAnswers(store: Store): Promise<{ ok: boolean; reason?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${STORE_CHECK_TIMEOUT_MS} ms`)),
      STORE_CHECK_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([kysely.sql`select 1`.execute(store.db), timeout]);
    return { ok: true };
  } catch (error) {
    return {
      ok: false,
      reason: `the store does not answer: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The bot's own user. A server that is down, restarting or busy when the bot starts is waited
 * for (as the WebSocket's first connection is), so a bot restarted during an outage comes up
 * with it instead of exiting; a refused token (a 4xx) fails at once. While it waits, one log
 * line per change of cause (refused, DNS, TLS, timeout, …) with its fix, not one per attempt.
 */
async function whoAmI(
  client: MattermostClient,
  logger: Logger,
  fixes: { tokenFix: string; unreachableFix: string },
  kept?: UserProfile,
): Promise<UserProfile> {
  // at most 3 s apart: one GET a try, and a server back between faults is met soon
  const backoff = new Backoff(500, 3_000);
  let lastKind: string | undefined;
  const since = Date.now();
  for (;;) {
    try {
      // one try each (a fresh getMe is not retried): the client's own retries would log every attempt
      const me = await client.getMe({ fresh: true });
      if (lastKind !== undefined)
        logger.info(
          { url: client.url, waitedMs: Date.now() - since },
          `reached ${client.url} after ${Math.round((Date.now() - since) / 1000)} s`,
        );
      return me;
    } catch (error) {
      if (isTokenRefusal(error)) throw new TokenRefusedError(error, fixes.tokenFix);
      if (error instanceof MattermostApiError && (error.status === 404 || error.status === 405))
        throw new MmbotError(
          "NOT_MATTERMOST",
          `${client.url} answered GET /api/v4/users/me with HTTP ${error.status}: not a Mattermost server's address (a path too many, another web server?); fix: ${fixes.unreachableFix}`,
          { cause: error },
        );
      if (!isRetryableError(error)) throw error;
      const why = whyUnreachable(error, client.url);
      if (kept) {
        // a restart in an outage listens at once: the sources wait for the server themselves,
        // and a token refused since is found by the WebSocket's and the token watch's checks
        logger.warn(
          { cause: why.kind, detail: errorText(error) },
          `cannot reach ${client.url}: ${why.text}; starting as @${kept.username} (known from the last run) and waiting for the server`,
        );
        return kept;
      }
      const delay = backoff.next();
      if (why.kind !== lastKind) {
        lastKind = why.kind;
        logger.warn(
          { cause: why.kind, detail: errorText(error) },
          `cannot reach ${client.url}: ${why.text}; fix: ${fixes.unreachableFix}; trying again until it answers`,
        );
      } else
        logger.debug(
          { url: client.url, cause: why.kind, attempt: backoff.attempts, retryInMs: delay },
          "still cannot reach the server",
        );
      await sleep(delay);
    }
  }
}

/** Where the bot's own user is kept, by token (a hash of it: never the token itself). */
function identityKey(token: string): string {
  return `bot.identity.${createHash("sha256").update(token).digest("hex").slice(0, 16)}`;
}

/** The bot's own user as its last run learnt it with this token, if any. */
async function keptIdentity(store: Store, token: string): Promise<UserProfile | undefined> {
  try {
    const value = await store.kv.get(identityKey(token));
    const user = value === undefined ? undefined : (JSON.parse(value) as UserProfile);
    return typeof user?.id === "string" && typeof user.username === "string" ? user : undefined;
  } catch {
    return undefined;
  }
}

/** Keeps the bot's own user for the next start: one restarted while the server is away need not wait for it. */
async function keepIdentity(
  store: Store,
  token: string,
  me: UserProfile,
  logger: Logger,
): Promise<void> {
  await store.kv
    .set(identityKey(token), JSON.stringify(me))
    .catch((error: unknown) =>
      logger.warn({ err: error }, "cannot keep the bot's own user in the store"),
    );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
