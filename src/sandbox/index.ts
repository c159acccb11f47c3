/**
 * A faithful local Mattermost (REST v4 and WebSocket), in memory (or kept in a file, see
 * `SandboxOptions.file`), for tests, `mmbot start` and `mmbot chat`. It plays 5.37 (from
 * recordings), 10.11, 11.10 or 12.0 (`SandboxOptions.version`, default the newest; see versions.ts).
 *
 * @example
 * const sandbox = await Sandbox.start();
 * const { channels, users, bot } = sandbox.seed();
 * sandbox.post(users.alice.user.id, { channel_id: channels.ops.id, message: "@todobot add milk" });
 * const reply = await sandbox.waitForPost((p) => p.user_id === bot.user.id);
 * await sandbox.close();
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { silentLogger } from "../log.js";
import type {
  Channel,
  CreatePostInput,
  Post,
  Team,
  UserProfile,
  WebSocketEvent,
} from "../mattermost/types.js";
import { moveActionUrls } from "./attachments.js";
import { Channels } from "./channels.js";
import { ERRORS, fail } from "./errors.js";
import { faultRoutes } from "./fault-routes.js";
import { Faults } from "./faults.js";
import type { RateLimitSettings } from "./rate-limit.js";
import { createHttpApp } from "./http.js";
import { Hub } from "./hub.js";
import type { ActionClickResult } from "./integrations/actions.js";
import type { Command, CommandInput, CommandResponse } from "./integrations/commands.js";
import type { DialogSubmission, DialogSubmitResult, OpenedDialog } from "./integrations/dialogs.js";
import type { IncomingWebhook, IncomingWebhookInput } from "./integrations/incoming-webhooks.js";
import { Integrations, type IntegrationSettings } from "./integrations/index.js";
import type { OutgoingWebhook, OutgoingWebhookInput } from "./integrations/outgoing-webhooks.js";
import { integrationRoutes } from "./integrations/routes.js";
import { keepWorld, type KeptWorld } from "./persistence/keep.js";
import { seedTable, type SeedSlot } from "./persistence/seed-table.js";
import { worldTables } from "./persistence/world-tables.js";
import { Posting } from "./posting.js";
import { pageRoutes } from "./page/routes.js";
import { recordApiCalls } from "./page/record-calls.js";
import { servePage } from "./page/static.js";
import { channelViewRoutes } from "./rest/channel-view.js";
import { Preferences } from "./preferences.js";
import { clientRoutes } from "./rest/client-routes.js";
import { channelRoutes } from "./rest/channels.js";
import { fileRoutes } from "./rest/files.js";
import { postRoutes } from "./rest/posts.js";
import { clientConfigRoutes } from "./rest/client-config.js";
import { systemRoutes } from "./rest/system.js";
import { teamRoutes } from "./rest/teams.js";
import { seedWorld, type SeedResult } from "./seed.js";
import type { Services } from "./services.js";
import { WebSocketEndpoint } from "./websocket.js";
import { channelWire, userWire } from "./wire.js";
import { TrafficLog, type TrafficEntry } from "./traffic.js";
import { World } from "./world.js";
import { versionProfile, type SandboxVersion, type VersionProfile } from "./versions.js";

export type { SeedResult, SeededUser } from "./seed.js";
export type { Command, CommandInput, CommandResponse } from "./integrations/commands.js";
export type { IntegrationSettings } from "./integrations/index.js";
export type {
  Dialog,
  DialogSubmission,
  DialogSubmitResult,
  OpenedDialog,
} from "./integrations/dialogs.js";
export type { ActionClickResult } from "./integrations/actions.js";
export type { IncomingWebhook, IncomingWebhookInput } from "./integrations/incoming-webhooks.js";
export type { OutgoingWebhook, OutgoingWebhookInput } from "./integrations/outgoing-webhooks.js";
export { SandboxApiError } from "./errors.js";
export type { Faults, RestDelayRule, RestFaultAnswer, RestFaultRule } from "./faults.js";
export type { RateLimitSettings } from "./rate-limit.js";
export type { TrafficEntry, TrafficKind } from "./traffic.js";
export { WorldFileError } from "./persistence/world-file-error.js";
export {
  DEFAULT_SANDBOX_VERSION,
  SANDBOX_VERSIONS,
  type SandboxVersion,
  type VersionProfile,
} from "./versions.js";

export interface SandboxOptions {
  /**
   * The Mattermost version played: "5.37", "10.11", "11.10" or "12.0" (default: "12.0", the
   * newest). It sets the version strings, whether WebSockets can be unreliable, token expiry and
   * what happens to props reserved for integrations (see versions.ts and docs/compatibility.md).
   */
  version?: SandboxVersion;
  /**
   * `ServiceSettings.EnableHardenedMode` (10.11 and later; default off, as on a server): a
   * session that is not an integration's posting a prop reserved for integrations gets 400.
   */
  hardenedMode?: boolean;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  logger?: Logger;
  /** Close WebSockets that do not authenticate within this time (default 5000, as the server). */
  authTimeoutMs?: number;
  /** How long a dropped connection's events are kept for a resume (default 5 minutes). */
  resumeWindowMs?: number;
  /**
   * `ServiceSettings.EnableReliableWebSockets` (default true, as on the recorded server). False is
   * a 5.37 server's default: `hello` has an empty `connection_id`, nothing is resumed, events sent
   * while a client was away are lost to it (REST is the only way to catch up). 5.37 only: later
   * servers always resume (the setting is gone), so false with another `version` is refused.
   */
  reliableWebSockets?: boolean;
  /** Server settings for integrations (timeout of calls to integrations, trigger id lifetime, overrides). */
  integrations?: Partial<IntegrationSettings>;
  /**
   * Keep the world in this SQLite file: what it holds is put back at start (`seed()` then hands
   * back the kept seed), and changes are saved a moment after they happen and on `close()`.
   * Throws a `WorldFileError` for a file of another version. Default: in memory only.
   */
  file?: string;
  /** With `file`: discard what it holds and start empty. */
  fresh?: boolean;
  /**
   * The longest message taken, in characters, and the `MaxPostSize` of the client config
   * (default 16383, as 5.37; a server whose column was widened says more).
   */
  maxPostSize?: number;
  /** How long a `pending_post_id` is remembered: a repeat within it gets the first post (default 30 s, as the server). */
  pendingPostIdTtlMs?: number;
  /**
   * The server's rate limit, per token (as `RateLimitSettings` with `VaryByUser`): e.g.
   * `{perSec: 5, maxBurst: 10}`. Default: off, as on a server. Also `faults.rateLimit()`.
   */
  rateLimit?: RateLimitSettings;
}

export class Sandbox {
  /** "http://127.0.0.1:PORT", no trailing slash. */
  readonly url: string;
  private readonly world: World;
  private readonly hub: Hub;
  private readonly posting: Posting;
  private readonly channelOps: Channels;
  /** Whether the world was put back from `options.file` (else it started empty). */
  readonly restored: boolean;
  /** Fault injection: dropped, refused and silent WebSockets, failing and slow REST, cuts, restarts. */
  readonly faults: Faults;
  /** The Mattermost version played (`SandboxOptions.version`). */
  readonly profile: VersionProfile;

  private constructor(
    services: Services,
    private readonly integrations: Integrations,
    private readonly app: FastifyInstance,
    private readonly endpoint: WebSocketEndpoint,
    url: string,
    private readonly traffic: TrafficLog,
    private readonly seedSlot: SeedSlot,
    private readonly kept: KeptWorld | undefined,
    faults: Faults,
  ) {
    this.faults = faults;
    this.profile = services.profile;
    this.world = services.world;
    this.hub = services.hub;
    this.posting = services.posting;
    this.channelOps = services.channels;
    this.url = url;
    this.restored = kept?.restored ?? false;
  }

  /** Starts the HTTP and WebSocket server (empty world: call `seed()` or build one). */
  static async start(options: SandboxOptions = {}): Promise<Sandbox> {
    const logger = options.logger ?? silentLogger();
    const profile = versionProfile(options.version);
    if (options.reliableWebSockets === false && profile.alwaysReliable)
      throw new TypeError(
        `reliableWebSockets: false is a 5.x setting; Mattermost ${profile.currentVersion} always resumes WebSockets (use version: "5.37")`,
      );
    if (options.hardenedMode && !profile.hardenedMode)
      throw new TypeError(
        `hardenedMode: Mattermost ${profile.currentVersion} has no hardened mode`,
      );
    if (
      options.maxPostSize !== undefined &&
      !(Number.isInteger(options.maxPostSize) && options.maxPostSize > 0)
    ) {
      throw new TypeError(
        `maxPostSize must be a positive whole number of characters, not ${options.maxPostSize}`,
      );
    }
    const world = new World();
    const hub = new Hub(world);
    if (options.resumeWindowMs !== undefined) hub.deadTtlMs = options.resumeWindowMs;
    const posting = new Posting(world, hub, hub, options.maxPostSize, options.pendingPostIdTtlMs);
    const services: Services = {
      world,
      hub,
      posting,
      channels: new Channels(world, posting, hub),
      preferences: new Preferences(world),
      profile,
      hardenedMode: options.hardenedMode ?? false,
    };
    const traffic = new TrafficLog();
    const integrations = new Integrations(services, options.integrations, traffic);
    const seedSlot: SeedSlot = {};
    const app = createHttpApp(logger, profile.versionId);
    const tables = [
      ...worldTables(world),
      ...posting.tables(),
      ...integrations.tables(),
      seedTable(seedSlot, world),
    ];
    const kept =
      options.file === undefined
        ? undefined
        : await keepWorld(options.file, { fresh: options.fresh, logger, app, hub, tables });
    recordApiCalls(app, world, traffic);
    const faults = new Faults(hub, options.rateLimit);
    faults.install(app, (token) => world.userIdForToken(token));
    faultRoutes(app, faults);
    for (const routes of [
      systemRoutes,
      ...clientRoutes,
      teamRoutes,
      channelRoutes,
      channelViewRoutes,
      postRoutes,
      fileRoutes,
    ])
      routes(app, services);
    pageRoutes(app, services, traffic);
    servePage(app);
    integrationRoutes(app, services, integrations);
    clientConfigRoutes(app, services, integrations);
    const endpoint = new WebSocketEndpoint(
      world,
      hub,
      posting,
      {
        authTimeoutMs: options.authTimeoutMs ?? 5_000,
        pingIntervalMs: 60_000,
        pongWaitMs: 100_000,
        reliable: options.reliableWebSockets ?? true,
        currentVersion: profile.currentVersion,
        versionId: profile.versionId,
      },
      faults,
    );
    app.server.on("upgrade", (request, socket, head) =>
      endpoint.handleUpgrade(request, socket, head),
    );
    let address: string;
    try {
      address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
    } catch (error) {
      kept?.keeper.close();
      throw error;
    }
    const url = address.replace(/\/$/, "").replace("[::1]", "127.0.0.1");
    integrations.setSiteUrl(url);
    logger.info(
      { url, file: options.file, restored: kept?.restored },
      "sandbox Mattermost listening",
    );
    return new Sandbox(services, integrations, app, endpoint, url, traffic, seedSlot, kept, faults);
  }

  /** Closes every WebSocket and the HTTP server, then saves the world to its file (if any). */
  async close(): Promise<void> {
    this.endpoint.close();
    this.faults.close();
    this.integrations.close();
    await this.app.close();
    this.kept?.keeper.close();
  }

  // ---- building the world

  createTeam(input: { name: string; display_name?: string }): Team {
    this.changed();
    return this.world.createTeam(input.name, input.display_name ?? input.name);
  }

  /** A person with a password (default `sandbox-<username>`) and a personal access token. */
  createUser(input: {
    username: string;
    password?: string;
    first_name?: string;
    email?: string;
    roles?: string;
  }): { user: UserProfile; token: string } {
    const user = this.world.createUser({
      ...input,
      password: input.password ?? `sandbox-${input.username}`,
    });
    this.changed();
    return { user: userWire(user, true), token: this.world.issueToken(user.id) };
  }

  /** A bot account (`is_bot`) and its token; bots cannot log in with a password. */
  createBot(input: { username: string; display_name?: string; owner_id?: string }): {
    user: UserProfile;
    token: string;
  } {
    const user = this.world.createUser({
      username: input.username,
      password: "",
      first_name: input.display_name ?? "",
      is_bot: true,
    });
    this.changed();
    return { user: userWire(user, true), token: this.world.issueToken(user.id) };
  }

  /**
   * Another personal access token for the user, as `POST /users/{id}/tokens` makes one;
   * `expires_at` (ms, 0 = never) as Mattermost 11.9+ takes it.
   */
  createAccessToken(userId: string, options: { expires_at?: number } = {}): string {
    this.requireUser(userId);
    if (options.expires_at) this.requireExpiry(userId);
    this.changed();
    return this.world.issueToken(userId, { expiresAt: options.expires_at ?? 0 });
  }

  /**
   * Makes a token's time come, as on a server whose clock passed its `expires_at`: every REST call
   * with it gets 401 (`api.context.session_expired.app_error`), as the server answers an expired
   * token (model.UserAccessToken.IsExpired). Only on a version whose tokens expire (personal
   * access tokens: 11.9 and later; a bot's: 12.0). False when there is no such token.
   */
  expireToken(token: string): boolean {
    const record = this.world.tokenRecord(token);
    if (!record) return false;
    this.requireExpiry(record.userId);
    record.expiresAt = Date.now();
    return true;
  }

  private requireExpiry(userId: string): void {
    const bot = this.world.users.get(userId)?.is_bot === true;
    const { profile } = this;
    if (!profile.tokenExpiry || (bot && !profile.botTokenExpiry))
      throw new TypeError(
        `tokens of ${bot ? "bot accounts" : "users"} do not expire on Mattermost ${profile.currentVersion} (${bot ? "12.0" : "11.9"} and later)`,
      );
  }

  /**
   * Revokes a token, as an admin does in the System Console (`POST /users/tokens/revoke`): every
   * REST call with it gets 401 at once, and a WebSocket opened with it stays open but receives
   * no event any more, as on the server. False when there was no such token.
   */
  revokeToken(token: string): boolean {
    const revoked = this.world.revokeToken(token);
    if (revoked) this.changed();
    return revoked;
  }

  /**
   * Sets a user's roles, as `PUT /users/{id}/roles` does: e.g. `"system_user system_admin"` for a
   * bot that may send ephemeral posts (`create_post_ephemeral` is the System Admin role's only).
   */
  setRoles(userId: string, roles: string): void {
    this.requireUser(userId);
    this.world.users.get(userId)!.roles = roles;
    this.changed();
  }

  addToTeam(teamId: string, userId: string): void {
    this.world.addToTeam(teamId, userId);
    this.changed();
  }

  createChannel(input: {
    team_id: string;
    name: string;
    display_name?: string;
    type?: "O" | "P";
  }): Channel {
    this.changed();
    return this.channelOps.create(input);
  }

  /** Adds a member; emits `user_added` and a system post like the server. */
  addToChannel(channelId: string, userId: string): void {
    this.channelOps.add(channelId, userId);
  }

  /** Gets or creates the DM of two users; emits `direct_added` on create. */
  directChannel(userA: string, userB: string): Channel {
    return this.channelOps.direct(userA, userB);
  }

  /**
   * The default world (see README): team acme, channels, admin/alice/bob and todobot. Once. A
   * world put back from a file that was seeded is not seeded again: its seed is returned.
   */
  seed(): SeedResult {
    if (this.seedSlot.fromFile) {
      this.seedSlot.fromFile = false;
      return this.seedSlot.result!;
    }
    if (this.seedSlot.result) throw new Error("Sandbox.seed() was already called");
    this.changed();
    this.seedSlot.result = seedWorld({
      createTeam: (input) => this.createTeam(input),
      createUser: (input) => this.createUser(input),
      createBot: (input) => this.createBot(input),
      addToTeam: (teamId, userId) => this.addToTeam(teamId, userId),
      createChannel: (input) => this.createChannel(input),
      joinSilently: (channelId, userId) => void this.world.join(channelId, userId),
    });
    return this.seedSlot.result;
  }

  // ---- acting as a user (the REST API's code path)

  /** Posts as `userId`; throws a `SandboxApiError` (a `MattermostApiError`) when the server would refuse. */
  post(userId: string, input: CreatePostInput): Post {
    this.requireUser(userId);
    return this.posting.createAsUser(userId, input);
  }

  editPost(userId: string, postId: string, message: string): Post {
    this.requireUser(userId);
    return this.posting.edit(userId, postId, { message });
  }

  deletePost(userId: string, postId: string): void {
    this.requireUser(userId);
    this.posting.remove(userId, postId);
  }

  react(userId: string, postId: string, emojiName: string): void {
    this.requireUser(userId);
    this.posting.react(userId, postId, emojiName);
  }

  typing(userId: string, channelId: string, parentId?: string): void {
    this.requireUser(userId);
    this.posting.typing(userId, channelId, parentId);
  }

  // ---- integrations (the REST routes' code path)

  /** Registers a slash command as `creatorId` (a system admin), like `POST /api/v4/commands`. */
  createCommand(
    creatorId: string,
    input: CommandInput & { team_id: string; trigger: string; url: string },
  ): Command {
    this.requireUser(creatorId);
    this.changed();
    return this.integrations.commands.create(creatorId, { method: "P", ...input });
  }

  /** The team's slash commands as `userId` (a system admin) lists them, like `GET /api/v4/commands?custom_only=true`. */
  listCommands(userId: string, teamId: string): Command[] {
    this.requireUser(userId);
    return this.integrations.commands.list(userId, teamId, true);
  }

  /**
   * Runs `/trigger text` as the user typed it, like `POST /api/v4/commands/execute`: calls the
   * integration, applies its answer, resolves with what the client gets (a `SandboxApiError` when
   * the server would refuse or the integration failed).
   */
  runSlashCommand(
    userId: string,
    channelId: string,
    command: string,
    options: { rootId?: string } = {},
  ): Promise<CommandResponse> {
    this.requireUser(userId);
    return this.integrations.commands.execute(userId, {
      channel_id: channelId,
      command,
      root_id: options.rootId,
    });
  }

  /** Registers an outgoing webhook as `creatorId` (a system admin), like `POST /api/v4/hooks/outgoing`. */
  createOutgoingWebhook(
    creatorId: string,
    input: OutgoingWebhookInput & { callback_urls: string[] },
  ): OutgoingWebhook {
    this.requireUser(creatorId);
    this.changed();
    return this.integrations.outgoingWebhooks.create(creatorId, input);
  }

  /** The team's outgoing webhooks as `userId` (a system admin) lists them, like `GET /api/v4/hooks/outgoing?team_id=`. */
  listOutgoingWebhooks(userId: string, teamId: string): OutgoingWebhook[] {
    this.requireUser(userId);
    return this.integrations.outgoingWebhooks.list(userId, { team_id: teamId });
  }

  /**
   * Points every integration URL that starts with `from` (slash commands, outgoing webhooks,
   * buttons and menus of posts) to `to`: for an integration whose address changed across a
   * restart of a kept world. Returns how many URLs changed.
   */
  moveIntegrations(from: string, to: string): number {
    this.changed();
    return (
      this.integrations.moveUrls(from, to) +
      moveActionUrls(this.posting.actionIntegrations, from, to)
    );
  }

  /** Registers an incoming webhook as `creatorId` (a system admin); post to `${sandbox.url}/hooks/${id}`. */
  createIncomingWebhook(
    creatorId: string,
    input: IncomingWebhookInput & { channel_id: string },
  ): IncomingWebhook {
    this.requireUser(creatorId);
    this.changed();
    return this.integrations.incomingWebhooks.create(creatorId, input);
  }

  /**
   * Clicks a button (or picks `selectedOption` of a select) of a post as `userId`, like
   * `POST /api/v4/posts/{id}/actions/{action}`: calls the integration and applies its answer.
   */
  clickAction(
    userId: string,
    postId: string,
    actionId: string,
    selectedOption?: string,
  ): Promise<ActionClickResult> {
    this.requireUser(userId);
    return this.integrations.actions.click(userId, postId, actionId, selectedOption);
  }

  /** Submits (or, with `cancelled`, cancels) a dialog as `userId`, like `POST /api/v4/actions/dialogs/submit`. */
  submitDialog(userId: string, submission: DialogSubmission): Promise<DialogSubmitResult> {
    this.requireUser(userId);
    return this.integrations.dialogs.submit(userId, submission);
  }

  /** Every dialog an integration opened for the user (the `open_dialog` events), oldest first. */
  openedDialogs(userId: string): OpenedDialog[] {
    return this.integrations.dialogs.openedFor(userId);
  }

  /** The last dialog opened for the user, if any. */
  lastOpenedDialog(userId: string): OpenedDialog | undefined {
    return this.integrations.dialogs.openedFor(userId).at(-1);
  }

  /** Resolves when every integration call running in the background (outgoing webhooks) has been answered and applied. */
  settleIntegrations(): Promise<void> {
    return this.integrations.settled();
  }

  // ---- reading

  getPost(id: string): Post | undefined {
    const record = this.posting.record(id);
    return record && this.posting.wire(record);
  }

  /** A channel's posts, oldest first, deleted ones left out. */
  channelPosts(channelId: string): Post[] {
    return this.posting
      .channelPostIds(channelId)
      .map((id) => this.posting.record(id))
      .filter((r) => r !== undefined)
      .map((r) => this.posting.wire(r));
  }

  /** The root then its replies, oldest first. */
  thread(rootId: string): Post[] {
    const root = this.posting.record(rootId);
    if (!root) return [];
    return [root, ...this.posting.replyIds(root.id).map((id) => this.posting.record(id)!)].map(
      (r) => this.posting.wire(r),
    );
  }

  /** Ephemeral posts sent to that user, oldest first. */
  ephemeralPosts(userId: string): Post[] {
    return this.posting.ephemeralFor(userId);
  }

  getChannel(id: string): Channel | undefined {
    const channel = this.world.channels.get(id);
    return channel && channelWire(channel);
  }

  getUser(id: string): UserProfile | undefined {
    const user = this.world.users.get(id);
    return user && userWire(user, false);
  }

  /** An existing post matching `predicate`, or the next one created; rejects after `timeoutMs` (5000). */
  waitForPost(
    predicate: (post: Post) => boolean,
    options: { timeoutMs?: number } = {},
  ): Promise<Post> {
    return this.posting.waitForPost(predicate, options.timeoutMs ?? 5_000);
  }

  /** The next event the server broadcasts matching `predicate` (its `seq` is 0: seq is per connection). */
  waitForEvent(
    predicate: (event: WebSocketEvent) => boolean,
    options: { timeoutMs?: number } = {},
  ): Promise<WebSocketEvent> {
    return this.hub.waitForEvent(predicate, options.timeoutMs ?? 5_000);
  }

  /** Every event the server broadcasts from now on (seq 0, as in `waitForEvent`); returns the unsubscribe. */
  onEvent(listener: (event: WebSocketEvent) => void): () => void {
    return this.hub.subscribe(listener);
  }

  /** The kept traffic log: API calls clients made and requests sent to integrations, oldest first. */
  trafficLog(): TrafficEntry[] {
    return this.traffic.since(0);
  }

  // ---- faults

  /** Terminates WebSocket connections abruptly (all, or one user's); returns how many. See also `faults`. */
  dropConnections(userId?: string): number {
    return this.faults.dropWebSockets(userId);
  }

  /** false: new WebSocket upgrades are refused with HTTP 503 (REST keeps working). */
  setWebSocketAvailable(available: boolean): void {
    this.endpoint.available = available;
  }

  private requireUser(userId: string): void {
    if (!this.world.users.has(userId)) fail(ERRORS.userMissing);
  }

  /** A change made through this API without an event: save soon. */
  private changed(): void {
    this.kept?.keeper.changed();
  }
}
