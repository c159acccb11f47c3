/**
 * The REST v4 client: typed methods over one `request` primitive, typed errors, bounded
 * retries of the requests that are safe to repeat, and small caches for lookups.
 */
import { MattermostApiError, TransportError } from "../errors.js";
import { silentLogger, type Logger } from "../log.js";
import { sleep } from "./backoff.js";
import { HttpTransport, type HttpAnswer } from "./http-transport.js";
import {
  rateLimitInfo,
  sharedRateBudget,
  type BudgetTicket,
  type RateBudget,
  type RequestPriority,
  type ServerRateLimit,
} from "./rate-budget.js";
import {
  isRetryableError,
  resolveRetryOptions,
  retryDelayMs,
  serverRetryHintMs,
  type ResolvedRetryOptions,
  type RetryOptions,
} from "./retry.js";
import {
  DEFAULT_MAX_POST_SIZE,
  serverInfoFrom,
  UNKNOWN_SERVER,
  type ServerInfo,
} from "./server-info.js";
import { TtlCache } from "./ttl-cache.js";
import type {
  ApiErrorBody,
  Channel,
  ChannelMembership,
  CreatePostInput,
  FileInfo,
  Post,
  PostList,
  Team,
  UserProfile,
} from "./types.js";

export interface RestClientOptions {
  /** Server address, e.g. `https://chat.example.com` (a trailing slash is fine). */
  url: string;
  /** A bot token or personal access token. */
  token: string;
  /**
   * Sends every request through this `fetch` (wrap it to observe or alter requests). By default
   * requests go over `node:http` keep-alive connections, and file uploads through the global `fetch`.
   */
  fetch?: typeof fetch;
  logger?: Logger;
  retry?: RetryOptions;
  /** How long `getUser`/`getUserByUsername` answers are reused (default 5 min). */
  userCacheTtlMs?: number;
  /**
   * How long a try waits for its answer (default 15 s): reads of many posts (catch-up, threads),
   * file transfers and calls through `request()`. See `quickTimeoutMs` for the others.
   */
  timeoutMs?: number;
  /**
   * How long a try of a call the bot's answers wait on waits for its answer (default 5 s, never
   * more than `timeoutMs`): posts, edits, typing, reactions and lookups of one user, channel or
   * post. One that gets no answer is given up and, when safe to repeat (a post with its
   * `pending_post_id` is), tried again on a fresh connection, long before the server forgets
   * the id (see `createPost`).
   */
  quickTimeoutMs?: number;
  /** How long a new connection may take to open (default 3 s), before the answer's time starts. */
  connectTimeoutMs?: number;
  /** Told of every try's outcome and every retry (metrics). */
  observer?: RestObserver;
  /**
   * The rate budget: at most this many requests a second (with a burst of two seconds' worth),
   * fewer when the server's rate-limit headers say so; calls over it wait, replies first, typing
   * is skipped. It paces once the server shows a limit (rate-limit headers or a 429); a server
   * with its limiter off (the default) sends neither and nothing waits. Shared by every client
   * of the same server and token in the process (the first one's figure counts). Default 8
   * (under the server's default limit of 10); 0 turns it off.
   */
  maxRequestsPerSecond?: number;
}

/** What a client tells about its requests, e.g. to count them; `status` is 0 when no answer came. */
export interface RestObserver {
  /** Every answer (status 0: none came); `path` as sent, `/api/v4/…`. */
  response?(method: string, status: number, path: string): void;
  retry?(method: string, status: number, delayMs: number): void;
}

export interface RequestOptions {
  /** Whether the request may be sent again after a failure. Default: true for GET, PUT, DELETE, HEAD. */
  idempotent?: boolean;
  /** Resolve with the body's text as it came, never parsed as JSON. */
  text?: boolean;
  /** Resolve with the body's bytes (a `Uint8Array`), never decoded: a file's content. */
  bytes?: boolean;
  /** How long each try waits for the answer (default: the client's `timeoutMs`). */
  timeoutMs?: number;
  /** Tries at most (default: the client's retry attempts when idempotent, else 1). */
  attempts?: number;
  /**
   * Its turn when calls wait for the rate budget: `first` (default) before `edit`; a `typing`
   * call is not sent (and resolves with undefined) when the budget is short.
   */
  priority?: RequestPriority;
}

/** The budget's default: under the server's default limit (10 a second), when it has one on. */
export const DEFAULT_MAX_REQUESTS_PER_SECOND = 8;

const CHANNEL_CACHE_TTL_MS = 30_000;
/** Mattermost 5.x's post limit (the `Message` column), when the server does not say its own. */
const SAFE_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE"]);

/** A `429`/`5xx` response's wait hint, kept beside the error it belongs to. */
const retryHints = new WeakMap<MattermostApiError, number>();
/** A refusal's rate-limit headers: the budget, which learnt from them, paces the retry. */
const refusedByLimiter = new WeakSet<MattermostApiError>();

/**
 * A Mattermost REST v4 client.
 * @example
 * const client = new MattermostClient({ url: "http://localhost:8065", token: process.env.MM_TOKEN! });
 * const me = await client.getMe();
 * await client.createPost({ channel_id: channelId, message: `hello from @${me.username}` });
 */
export class MattermostClient {
  /** The server address, without a trailing slash. */
  readonly url: string;
  private readonly token: string;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly transport: HttpTransport;
  private readonly logger: Logger;
  private readonly retry: ResolvedRetryOptions;
  private readonly timeoutMs: number;
  /** The options of the calls an answer waits on: the quick timeout. */
  private readonly quick: { timeoutMs: number };
  private readonly connectMs: number;
  private readonly observer: RestObserver | undefined;
  private readonly budget: RateBudget | undefined;
  private readonly users: TtlCache<UserProfile>;
  private readonly usernames: TtlCache<UserProfile>;
  private readonly channels = new TtlCache<Channel>(CHANNEL_CACHE_TTL_MS);
  private me: Promise<UserProfile> | undefined;
  private info: Promise<ServerInfo> | undefined;

  constructor(options: RestClientOptions) {
    this.url = options.url.replace(/\/+$/, "");
    this.token = options.token;
    this.fetchImpl = options.fetch;
    this.transport = new HttpTransport(this.url.startsWith("https:"));
    this.logger = options.logger ?? silentLogger();
    this.retry = resolveRetryOptions(options.retry);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.quick = { timeoutMs: Math.min(options.quickTimeoutMs ?? 5_000, this.timeoutMs) };
    this.connectMs = options.connectTimeoutMs ?? 3_000;
    this.observer = options.observer;
    const rate = options.maxRequestsPerSecond ?? DEFAULT_MAX_REQUESTS_PER_SECOND;
    if (!(rate >= 0))
      throw new RangeError(
        `maxRequestsPerSecond must be a number ≥ 0 (0 = no budget), got ${rate}`,
      );
    this.budget =
      rate > 0
        ? sharedRateBudget(this.url, this.token, { requestsPerSecond: rate, logger: this.logger })
        : undefined;
    this.users = new TtlCache<UserProfile>(options.userCacheTtlMs ?? 300_000);
    this.usernames = new TtlCache<UserProfile>(options.userCacheTtlMs ?? 300_000);
  }

  /** `GET /system/ping`: `{status: "OK"}` from a healthy server. */
  ping(): Promise<{ status: string } & Record<string, unknown>> {
    return this.request("GET", "/system/ping", undefined, this.quick);
  }

  /**
   * The token's own user; cached for the client's life. `fresh` asks the server again (and
   * caches the answer): whether the token is still accepted, for a token that can expire. That
   * question is asked once, not retried: who asks it (a refused upgrade, the token watch) waits
   * on the verdict, and a server that does not answer says nothing about the token.
   */
  getMe(options: { fresh?: boolean } = {}): Promise<UserProfile> {
    if (options.fresh) {
      // a refusal leaves the user known before in the cache: who the bot is has not changed
      const once = { ...this.quick, attempts: 1 };
      return this.request<UserProfile>("GET", "/users/me", undefined, once).then((user) => {
        this.me = Promise.resolve(user);
        this.users.set(user.id, user);
        return user;
      });
    }
    if (!this.me) {
      const me = this.request<UserProfile>("GET", "/users/me", undefined, this.quick);
      this.me = me;
      me.then(
        (user) => this.users.set(user.id, user),
        () => {
          if (this.me === me) this.me = undefined;
        },
      );
    }
    return this.me;
  }

  /** `GET /config/client?format=old`: the settings a client may know, every value a string. */
  getClientConfig(options: RequestOptions = {}): Promise<Record<string, string>> {
    return this.request<Record<string, string>>(
      "GET",
      "/config/client?format=old",
      undefined,
      options,
    );
  }

  /**
   * What the bot knows of its server (version, `MaxPostSize`, override settings): one
   * `GET /config/client`, asked once for the client's life. When the server does not answer it
   * is {@link UNKNOWN_SERVER} (a 5.x limit, every feature assumed), with a warning.
   */
  serverInfo(): Promise<ServerInfo> {
    // the quick timeout: a bot starting in a storm waits on this before it listens
    this.info ??= this.getClientConfig(this.quick).then(
      (config) => {
        const info = serverInfoFrom(config);
        if (String(info.maxPostSize) !== config.MaxPostSize)
          this.logger.warn(
            { maxPostSize: config.MaxPostSize, fallback: DEFAULT_MAX_POST_SIZE },
            "the server's client config has no usable MaxPostSize; using the 5.x limit",
          );
        return info;
      },
      (error: unknown) => {
        this.logger.warn(
          { err: error, fallback: DEFAULT_MAX_POST_SIZE },
          "cannot read the server's version and MaxPostSize; using the 5.x limit",
        );
        return UNKNOWN_SERVER;
      },
    );
    return this.info;
  }

  /**
   * The longest message the server takes: `MaxPostSize` of the client config (16383 on 5.37,
   * more where the column is wider), from {@link serverInfo}; {@link DEFAULT_MAX_POST_SIZE}
   * when the server does not say.
   */
  maxPostSize(): Promise<number> {
    return this.serverInfo().then((info) => info.maxPostSize);
  }

  /** A user by id (cached). */
  getUser(id: string): Promise<UserProfile> {
    return this.users.get(id, () =>
      this.request<UserProfile>("GET", `/users/${enc(id)}`, undefined, this.quick),
    );
  }

  /** A user by username, with or without the leading `@` (cached). */
  getUserByUsername(username: string): Promise<UserProfile> {
    const name = username.replace(/^@/, "").toLowerCase();
    return this.usernames.get(name, async () => {
      const user = await this.request<UserProfile>(
        "GET",
        `/users/username/${enc(name)}`,
        undefined,
        this.quick,
      );
      this.users.set(user.id, user);
      return user;
    });
  }

  /**
   * Creates a post. With `pending_post_id` the server deduplicates, so the call is retried
   * after failures (a try without an answer after the quick timeout, on a fresh connection);
   * without it, it is sent once (a retry could post twice).
   */
  createPost(input: CreatePostInput): Promise<Post> {
    // Mattermost (server/channels/app/post.go, deduplicateCreatePost) keeps a pending_post_id in
    // seenPendingPostIdsCache for pendingPostIDsCacheTTL (30 s): a repeat in that window gets the
    // post the first try made (or a 500 "pending" while that try is still saving, retried too).
    // Every try fits in it: the 4th leaves at most ~25 s after the 1st (3 s to connect and 5 s for
    // the answer each, under 1.4 s of jitter in all).
    return this.request<Post>("POST", "/posts", input, {
      idempotent: Boolean(input.pending_post_id),
      ...this.quick,
    });
  }

  getPost(id: string): Promise<Post> {
    return this.request<Post>("GET", `/posts/${enc(id)}`, undefined, this.quick);
  }

  /** Changes a post's message and/or props (`PUT /posts/{id}/patch`). */
  patchPost(
    id: string,
    patch: { message?: string; props?: Record<string, unknown> },
  ): Promise<Post> {
    return this.request<Post>("PUT", `/posts/${enc(id)}/patch`, patch, {
      priority: "edit",
      ...this.quick,
    });
  }

  async deletePost(id: string): Promise<void> {
    await this.request<unknown>("DELETE", `/posts/${enc(id)}`, undefined, this.quick);
  }

  /** A file's content as text (`GET /files/{id}`), for text files. */
  getFileText(id: string): Promise<string> {
    return this.request<string>("GET", `/files/${enc(id)}`, undefined, { text: true });
  }

  /** A file's content as bytes (`GET /files/{id}`), e.g. an image. */
  getFileBytes(id: string): Promise<Uint8Array> {
    return this.request<Uint8Array>("GET", `/files/${enc(id)}`, undefined, { bytes: true });
  }

  /** The root and every reply of the thread containing `postId`. */
  getThread(postId: string): Promise<PostList> {
    return this.request<PostList>("GET", `/posts/${enc(postId)}/thread`);
  }

  /** Posts of a channel created or edited since `sinceMs` (epoch ms). */
  getChannelPostsSince(channelId: string, sinceMs: number): Promise<PostList> {
    return this.request<PostList>(
      "GET",
      `/channels/${enc(channelId)}/posts?since=${Math.max(0, Math.floor(sinceMs))}`,
    );
  }

  /** A page of a channel's posts, newest first; `after` pages forward from a post id. */
  getChannelPosts(
    channelId: string,
    options: { page?: number; perPage?: number; after?: string } = {},
  ): Promise<PostList> {
    const query = new URLSearchParams();
    if (options.page !== undefined) query.set("page", String(options.page));
    if (options.perPage !== undefined) query.set("per_page", String(options.perPage));
    if (options.after !== undefined) query.set("after", options.after);
    const qs = query.toString();
    return this.request<PostList>("GET", `/channels/${enc(channelId)}/posts${qs ? `?${qs}` : ""}`);
  }

  /** A channel by id (cached briefly). */
  getChannel(id: string): Promise<Channel> {
    return this.channels.get(id, () =>
      this.request<Channel>("GET", `/channels/${enc(id)}`, undefined, this.quick),
    );
  }

  /** A channel of a team by its name (`town-square`), as in its URL. */
  getChannelByName(teamId: string, name: string): Promise<Channel> {
    return this.request<Channel>(
      "GET",
      `/teams/${enc(teamId)}/channels/name/${enc(name)}`,
      undefined,
      this.quick,
    );
  }

  getTeam(id: string): Promise<Team> {
    return this.request<Team>("GET", `/teams/${enc(id)}`, undefined, this.quick);
  }

  /** A team by its name (`acme`), as in its URL. */
  getTeamByName(name: string): Promise<Team> {
    return this.request<Team>("GET", `/teams/name/${enc(name)}`, undefined, this.quick);
  }

  getChannelMember(channelId: string, userId: string): Promise<ChannelMembership> {
    return this.request<ChannelMembership>(
      "GET",
      `/channels/${enc(channelId)}/members/${enc(userId)}`,
      undefined,
      this.quick,
    );
  }

  /** Gets or creates the direct-message channel of two users (safe to repeat). */
  createDirectChannel(userA: string, userB: string): Promise<Channel> {
    return this.request<Channel>("POST", "/channels/direct", [userA, userB], {
      idempotent: true,
      ...this.quick,
    });
  }

  getMyTeams(): Promise<Team[]> {
    return this.request<Team[]>("GET", "/users/me/teams");
  }

  /** The token user's channels in a team, direct and group messages included. */
  getMyChannels(teamId: string): Promise<Channel[]> {
    return this.request<Channel[]>("GET", `/users/me/teams/${enc(teamId)}/channels`);
  }

  /**
   * Shows "… is typing" for a few seconds; repeat while work runs. Resolves with false when it
   * was not sent because the rate budget is short (replies matter more).
   */
  async sendTyping(userId: string, channelId: string, parentId?: string): Promise<boolean> {
    // one try: an indicator retried would show after it mattered, and the next is due in seconds
    const answer = await this.request<unknown>(
      "POST",
      `/users/${enc(userId)}/typing`,
      { channel_id: channelId, parent_id: parentId ?? "" },
      { idempotent: false, priority: "typing", ...this.quick },
    );
    return answer !== undefined;
  }

  /** Removes the user's reaction (`DELETE /users/{user_id}/posts/{post_id}/reactions/{emoji_name}`); none there is harmless. */
  async removeReaction(userId: string, postId: string, emojiName: string): Promise<void> {
    const emoji = encodeURIComponent(emojiName.replace(/^:|:$/g, ""));
    await this.request<unknown>(
      "DELETE",
      `/users/${userId}/posts/${postId}/reactions/${emoji}`,
      undefined,
      { idempotent: true, ...this.quick },
    );
  }

  /** Adds a reaction (a reaction is keyed by user, post and emoji, so a repeat is harmless). */
  async addReaction(userId: string, postId: string, emojiName: string): Promise<void> {
    await this.request<unknown>(
      "POST",
      "/reactions",
      { user_id: userId, post_id: postId, emoji_name: emojiName.replace(/^:|:$/g, "") },
      { idempotent: true, ...this.quick },
    );
  }

  /** A post only `userId` sees; never stored. Needs the `create_post_ephemeral` permission. */
  createEphemeralPost(
    userId: string,
    post: { channel_id: string; message: string; root_id?: string },
  ): Promise<Post> {
    return this.request<Post>("POST", "/posts/ephemeral", { user_id: userId, post }, this.quick);
  }

  /** Uploads one file to a channel; attach it with `createPost({file_ids: [info.id]})`. */
  async uploadFile(channelId: string, fileName: string, data: Uint8Array): Promise<FileInfo> {
    const form = new FormData();
    form.set("channel_id", channelId);
    form.set("files", new Blob([data as Uint8Array<ArrayBuffer>]), fileName);
    const result = await this.request<{ file_infos: FileInfo[] }>("POST", "/files", form);
    const info = result.file_infos?.[0];
    if (!info) throw new TransportError(`POST /files returned no file_infos for ${fileName}`);
    return info;
  }

  /**
   * Closes the idle keep-alive connections, so the next calls open fresh ones; with
   * `quietSince` (ms since the epoch), also those with a call in flight that opened before it
   * and heard nothing from the server since: those calls fail now, as network errors, and are
   * retried when safe. For a path found dead (the WebSocket's heartbeat went unanswered): the
   * REST connections over it are dead too, and nothing tells them. (A `fetch` given in the
   * options keeps its own connections.)
   */
  dropConnections(options: { quietSince?: number } = {}): void {
    this.transport.dropConnections(options);
  }

  /**
   * The primitive: one call to `/api/v4{path}` (or `path` itself when it starts with `/api/`).
   * `body` is sent as JSON, or as-is when it is `FormData`. Retries only idempotent requests.
   * @throws MattermostApiError on a non-2xx answer, TransportError when no answer came.
   */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<T> {
    const verb = method.toUpperCase();
    const fullPath = path.startsWith("/api/")
      ? path
      : `/api/v4${path.startsWith("/") ? "" : "/"}${path}`;
    const idempotent = options.idempotent ?? SAFE_METHODS.has(verb);
    const attempts = options.attempts ?? (idempotent ? this.retry.attempts : 1);
    const priority = options.priority ?? "first";
    for (let attempt = 0; ; attempt++) {
      let ticket: BudgetTicket | undefined;
      if (this.budget && priority === "typing") {
        ticket = this.budget.tryTake();
        if (!ticket) return undefined as T;
      } else if (this.budget)
        ticket = await this.budget.take(priority === "edit" ? "edit" : "first");
      try {
        return await this.once<T>(
          verb,
          fullPath,
          body,
          options.bytes ? "bytes" : options.text ? "text" : "json",
          options.timeoutMs ?? this.timeoutMs,
          ticket,
        );
      } catch (error) {
        if (attempt + 1 >= attempts || !isRetryableError(error)) throw error;
        const paced =
          this.budget !== undefined &&
          error instanceof MattermostApiError &&
          refusedByLimiter.has(error);
        const hint = error instanceof MattermostApiError ? retryHints.get(error) : undefined;
        const delay = paced ? 0 : retryDelayMs(attempt, this.retry, hint);
        this.observer?.retry?.(verb, error instanceof MattermostApiError ? error.status : 0, delay);
        const when = paced ? "when the rate budget allows" : `in ${delay} ms`;
        this.logger.warn(
          { method: verb, path: fullPath, attempt: attempt + 1, delayMs: delay, err: error },
          `${verb} ${fullPath} failed; retrying ${when}`,
        );
        if (delay > 0) await sleep(delay);
      }
    }
  }

  private async once<T>(
    method: string,
    path: string,
    body: unknown,
    as: "json" | "text" | "bytes",
    timeoutMs: number,
    ticket: BudgetTicket | undefined,
  ): Promise<T> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${this.token}`,
      Accept: "application/json",
      "X-Requested-With": "XMLHttpRequest",
    };
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    let response: HttpAnswer;
    try {
      if (this.fetchImpl || payload instanceof FormData) {
        const fetchImpl = this.fetchImpl ?? globalThis.fetch;
        const answer = await fetchImpl(this.url + path, {
          method,
          headers,
          body: payload,
          signal: AbortSignal.timeout(timeoutMs),
        });
        response =
          as === "bytes"
            ? {
                status: answer.status,
                headers: answer.headers,
                text: "",
                bytes: Buffer.from(await answer.arrayBuffer()),
              }
            : { status: answer.status, headers: answer.headers, text: await answer.text() };
      } else {
        response = await this.transport.send(
          method,
          this.url + path,
          headers,
          payload,
          { connectMs: this.connectMs, answerMs: timeoutMs },
          as === "bytes",
        );
      }
    } catch (error) {
      const timedOut =
        error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      const why = timedOut ? `timed out (${error.message})` : describeCause(error);
      this.observer?.response?.(method, 0, path);
      ticket?.failed();
      throw new TransportError(`${method} ${path} failed: ${why}`, { cause: error });
    }
    this.observer?.response?.(method, response.status, path);
    const limit: ServerRateLimit | undefined = rateLimitInfo(response.status, response.headers);
    ticket?.answered(limit, response.status === 429);
    const ok = response.status >= 200 && response.status < 300;
    if (as === "bytes" && ok) {
      const bytes = response.bytes ?? Buffer.alloc(0);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) as T; // a view, not a Buffer
    }
    const text = response.bytes ? response.bytes.toString("utf8") : response.text;
    if (as === "text" && ok) return text as T;
    const parsed = parseBody(text);
    if (ok) return parsed as T;
    const error = new MattermostApiError({
      status: response.status,
      method,
      path,
      body:
        typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Partial<ApiErrorBody>)
          : text.trim() || undefined,
      requestId: response.headers.get("x-request-id") ?? undefined,
    });
    const hint = serverRetryHintMs(response.headers);
    if (hint !== undefined) retryHints.set(error, hint);
    if (limit?.refused) refusedByLimiter.add(error);
    throw error;
  }
}

/** A path segment, percent-encoded. A lone surrogate (from a hostile event's id) becomes U+FFFD: encodeURIComponent would throw, synchronously, out of a call that returns a promise. */
function enc(segment: string): string {
  return encodeURIComponent(String(segment).replace(/\p{Surrogate}/gu, "\uFFFD"));
}

/** JSON when it parses (whatever the content type says: 404s come as text/plain JSON), else the text. */
function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error && cause.message) return `${error.message} (${cause.message})`;
  return error.message;
}
