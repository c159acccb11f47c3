import WebSocket from "ws";
import { agentApiKey, type Config } from "./config.js";
import { isTokenRefusal, MattermostApiError } from "../errors.js";
import { MattermostClient } from "../mattermost/rest.js";
import { whyUnreachable } from "../mattermost/unreachable.js";
import type { Channel, UserProfile } from "../mattermost/types.js";
import { featureSupport, isTestedVersion } from "../mattermost/server-info.js";
import { readIntegrationTokens, type IntegrationTokens } from "../http/stored-tokens.js";
import type { CheckResult } from "./setup/check-result.js";
import {
  checkHealthz,
  checkIntegrations,
  checkPublicUrl,
  checkWebhookChannels,
} from "./setup/check.js";
import { openStore } from "../store/index.js";
import { checkAgentEndpoint, checkMcpServers } from "./agent-check.js";
import { SERVICE_TOKEN_FIX, tokenExpiry } from "./bot-token.js";
import { serviceApps } from "./service-store.js";

export type { CheckResult };

export interface DoctorTarget {
  url: string;
  token: string;
  /** Where the target came from, for the first line ("mmbot.toml", "the sandbox started by mmbot start"). */
  origin: string;
}

export interface DoctorOptions {
  /** A token that may list integrations (an admin's), to check the declared ones; default the target's. */
  integrationsToken?: string;
}

/**
 * Checks a configuration against the server, in order; `progress` sees each result as it comes.
 * Later checks that need an earlier one (a valid token) are skipped when it failed.
 */
export async function checkAll(
  config: Config,
  target: DoctorTarget,
  options: DoctorOptions = {},
  progress: (r: CheckResult) => void = () => {},
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const report = (r: CheckResult) => {
    results.push(r);
    progress(r);
  };
  const client = new MattermostClient({
    url: target.url,
    token: target.token,
    retry: { attempts: 1 },
    timeoutMs: 5_000,
  });

  const reachable = await checkPing(client);
  report(reachable);
  if (reachable.ok) {
    const me = await checkToken(client);
    report(me.result);
    if (me.user) {
      for (const r of await checkServerVersion(client, me.user)) report(r);
      if (me.user.is_bot) report(checkEphemeralRole(me.user));
      for (const r of await checkChannels(client, me.user, config.policy.channels)) report(r);
      for (const r of await checkAllowedUsers(client, config.policy.allowed_users)) report(r);
      report(await checkTransport(config.mattermost, target));
      if (config.http) {
        const lister = options.integrationsToken
          ? new MattermostClient({
              url: target.url,
              token: options.integrationsToken,
              retry: { attempts: 1 },
              timeoutMs: 5_000,
            })
          : client;
        for (const r of await checkIntegrations(
          config.http,
          lister,
          await storedTokens(config.store.url),
        ))
          report(r);
        for (const r of await checkWebhookChannels(config.http, client, me.user)) report(r);
      }
    }
  }
  if (config.http) {
    for (const r of checkPublicUrl(config.http, target.url)) report(r);
    if (config.http.public_url) report(await checkHealthz(config.http.public_url));
  }
  if (config.agent) report(await checkAgentEndpoint(config.agent, agentApiKey(config)));
  if (config.agent) for (const result of await checkMcpServers(config.agent.mcp)) report(result);
  report(await checkStore(config.store.url));
  return results;
}

/** The checks as lines for a person: a header, one line per check (with its fix), a summary; true when none failed. */
export async function runDoctor(
  config: Config,
  target: DoctorTarget,
  print: (line: string) => void,
  options: DoctorOptions = {},
): Promise<boolean> {
  print(`mmbot doctor: checking ${target.url} (${target.origin})`);
  const results = await checkAll(config, target, options, (r) =>
    print(
      r.ok
        ? `✓ ${r.label}`
        : `${r.warn ? "!" : "✗"} ${r.label}\n    fix: ${r.fix ?? "see docs/operating.md"}`,
    ),
  );
  const failed = results.filter((r) => !r.ok && !r.warn).length;
  const warned = results.filter((r) => r.warn).length;
  const warnings = warned ? ` (${warned} warning${warned === 1 ? "" : "s"})` : "";
  print(
    failed === 0
      ? `all checks passed${warnings}`
      : `${failed} check${failed === 1 ? "" : "s"} failed${warnings}`,
  );
  return failed === 0;
}

/** The tokens `mmbot setup` stored; none when the store does not open (its own check says why). */
async function storedTokens(url: string): Promise<IntegrationTokens> {
  try {
    const store = await openStore(url, { migrate: false });
    try {
      return await readIntegrationTokens(store.kv);
    } finally {
      await store.close();
    }
  } catch {
    return { slash: {}, outgoingWebhook: {} };
  }
}

async function checkPing(client: MattermostClient): Promise<CheckResult> {
  try {
    const ping = await client.ping();
    if (ping.status === "OK")
      return {
        name: "server",
        ok: true,
        label: `${client.url} is a Mattermost server (system ping OK)`,
      };
    return {
      name: "server",
      ok: false,
      label: `${client.url} answered the ping with status ${ping.status}`,
      fix: "the server reports itself unhealthy; check its logs",
    };
  } catch (error) {
    // the likely cause in words (refused, DNS, TLS, timeout), as mmbot start says it
    const why =
      error instanceof MattermostApiError
        ? `HTTP ${error.status}`
        : `${whyUnreachable(error, client.url).text}; ${error instanceof Error ? error.message : String(error)}`;
    return {
      name: "server",
      ok: false,
      label: `${client.url} is not reachable as a Mattermost server (${why})`,
      fix: "check mattermost.url (env MATTERMOST_URL): scheme, host and port of the server, without /api/v4",
    };
  }
}

/**
 * The server's version and, for this token, what works there and what does not (one warning per
 * feature that does not): from the client config, as the bot reads it at start.
 */
async function checkServerVersion(
  client: MattermostClient,
  me: UserProfile,
): Promise<CheckResult[]> {
  const info = await client.serverInfo();
  if (!info.known)
    return [
      {
        name: "server-version",
        ok: false,
        warn: true,
        label: `the server did not say its version (GET /api/v4/config/client): mmbot assumes a 5.x server (${info.maxPostSize} characters a post)`,
        fix: "check that the server is Mattermost and that a proxy does not block /api/v4/config/client",
      },
    ];
  const features = featureSupport(info, { isBot: me.is_bot === true });
  const works = features.filter((f) => f.works).map((f) => `${f.key}: ${f.note}`);
  const build = info.buildNumber ? ` (build ${info.buildNumber})` : "";
  const results: CheckResult[] = [
    isTestedVersion(info)
      ? {
          name: "server-version",
          ok: true,
          label: `Mattermost ${info.version}${build}; works here: ${works.join("; ")}`,
        }
      : {
          name: "server-version",
          ok: false,
          warn: true,
          label: `Mattermost ${info.version}${build} is not a version mmbot is tested against (5.37, 10.11, 11.x, 12.0); works here: ${works.join("; ")}`,
          fix: "see docs/compatibility.md for what differs between versions",
        },
  ];
  for (const feature of features.filter((f) => !f.works))
    results.push({
      name: `feature:${feature.key}`,
      ok: false,
      warn: true,
      label: `${feature.key} does not work on Mattermost ${info.version}: ${feature.note}`,
      fix: "see docs/compatibility.md",
    });
  return results;
}

/** `create_post_ephemeral` is the System Admin role's only (5.37): without it, private answers go as DMs. */
function checkEphemeralRole(me: UserProfile): CheckResult {
  if (me.roles.split(" ").includes("system_admin"))
    return {
      name: "ephemeral-posts",
      ok: true,
      label: `@${me.username} may send ephemeral posts (System Admin role)`,
    };
  return {
    name: "ephemeral-posts",
    ok: false,
    warn: true,
    label: `@${me.username} may not send ephemeral posts: refusals and ctx.ephemeral() answers come as direct messages`,
    fix: "to show them in the channel to that user only, give the bot the System Admin role (System Console › Integrations › Bot Accounts › Edit)",
  };
}

/** A token that expires sooner than this is a warning. */
const EXPIRY_WARNING_MS = 7 * 24 * 3_600_000;

function describeSpan(ms: number): string {
  const hours = Math.max(0, Math.round(ms / 3_600_000));
  return hours < 48 ? `${hours} hour${hours === 1 ? "" : "s"}` : `${Math.round(hours / 24)} days`;
}

async function checkToken(
  client: MattermostClient,
): Promise<{ result: CheckResult; user?: UserProfile }> {
  try {
    const user = await client.getMe();
    if (!user.is_bot) {
      return {
        user,
        result: {
          name: "token",
          ok: false,
          label: `the token belongs to @${user.username}, a person, not a bot account`,
          fix: "create a bot account (System Console › Integrations › Bot Accounts) and use its token",
        },
      };
    }
    const label = `the token is valid: bot account @${user.username}`;
    const expiry = await tokenExpiry(client, user.id);
    if (!expiry.known)
      return {
        user,
        result: {
          name: "token",
          ok: true,
          label: `${label}; when it expires is not known: ${expiry.why}`,
        },
      };
    if (expiry.expiresAt === undefined)
      return { user, result: { name: "token", ok: true, label: `${label}; it does not expire` } };
    const left = expiry.expiresAt - Date.now();
    const when = `it expires ${new Date(expiry.expiresAt).toISOString().replace(/\.\d+Z$/, "Z")} (in ${describeSpan(left)})`;
    if (left > EXPIRY_WARNING_MS)
      return { user, result: { name: "token", ok: true, label: `${label}; ${when}` } };
    return {
      user,
      result: {
        name: "token",
        ok: false,
        warn: true,
        label: `${label}, but ${when}`,
        fix: "create a new token for the bot (System Console › Integrations › Bot Accounts) and set mattermost.bot_token (env MATTERMOST_BOT_TOKEN) to it before then",
      },
    };
  } catch (error) {
    return {
      result: {
        name: "token",
        ok: false,
        label: `the token was refused${isTokenRefusal(error) ? " (expired or revoked?)" : ""}: ${error instanceof MattermostApiError ? `${error.status} ${error.serverErrorId}` : String(error)}`,
        fix: SERVICE_TOKEN_FIX,
      },
    };
  }
}

async function checkChannels(
  client: MattermostClient,
  me: UserProfile,
  channels: string[],
): Promise<CheckResult[]> {
  if (channels.length === 0)
    return [
      {
        name: "channels",
        ok: true,
        label: "policy.channels is empty: the bot answers in every channel it is a member of",
      },
    ];
  const mine: Channel[] = [];
  for (const team of await client.getMyTeams()) mine.push(...(await client.getMyChannels(team.id)));
  const results: CheckResult[] = [];
  for (const wanted of channels) {
    const found = mine.find((c) => c.id === wanted || c.name === wanted);
    if (found) {
      results.push({
        name: `channel:${wanted}`,
        ok: true,
        label: `channel ${wanted}: exists, the bot is a member`,
      });
      continue;
    }
    let exists = false;
    if (/^[a-z0-9]{26}$/.test(wanted))
      exists = await client.getChannel(wanted).then(
        () => true,
        () => false,
      );
    results.push({
      name: `channel:${wanted}`,
      ok: false,
      label: `channel ${wanted}: ${exists ? "exists but the bot is not a member" : "not among the bot's channels (no such channel, or the bot was never invited)"}`,
      fix: `invite the bot: type "/invite @${me.username}" in that channel, or fix policy.channels`,
    });
  }
  return results;
}

async function checkAllowedUsers(
  client: MattermostClient,
  allowed: Config["policy"]["allowed_users"],
): Promise<CheckResult[]> {
  if (allowed === undefined || (Array.isArray(allowed) && allowed.length === 0)) {
    return [
      {
        name: "allowed-users",
        ok: false,
        label: "policy.allowed_users is empty: the bot will answer nobody",
        fix: 'list usernames, e.g. allowed_users = ["alice"], or "*" for everybody',
      },
    ];
  }
  if (allowed === "*" || allowed.includes("*"))
    return [
      {
        name: "allowed-users",
        ok: true,
        label: 'policy.allowed_users = "*": everybody may use the bot',
      },
    ];
  const results: CheckResult[] = [];
  for (const entry of allowed) {
    const name = entry.replace(/^@/, "");
    const user = await client
      .getUserByUsername(name)
      .catch(() =>
        /^[a-z0-9]{26}$/.test(name) ? client.getUser(name).catch(() => undefined) : undefined,
      );
    results.push(
      user
        ? {
            name: `allowed-user:${entry}`,
            ok: true,
            label: `allowed user ${entry}: exists (@${user.username})`,
          }
        : {
            name: `allowed-user:${entry}`,
            ok: false,
            label: `allowed user ${entry}: no such user`,
            fix: "fix the spelling in policy.allowed_users (usernames without @, or user ids)",
          },
    );
  }
  return results;
}

/** The WebSocket, as `mattermost.transport` needs it: polling does without, auto falls back to polling. */
async function checkTransport(
  mattermost: Config["mattermost"],
  target: DoctorTarget,
): Promise<CheckResult> {
  if (mattermost.transport === "polling")
    return {
      name: "transport",
      ok: true,
      label: `mattermost.transport = "polling": the bot polls every ${mattermost.polling_interval_ms} ms (no WebSocket needed)`,
    };
  const result = await checkWebSocket(target);
  if (result.ok || mattermost.transport === "websocket") return result;
  return {
    ...result,
    warn: true,
    fix: `${result.fix}; until then mattermost.transport = "auto" polls every ${mattermost.polling_interval_ms} ms (set transport = "polling" to skip the WebSocket)`,
  };
}

function checkWebSocket(target: DoctorTarget): Promise<CheckResult> {
  const url = `${target.url.replace(/^http/, "ws")}/api/v4/websocket`;
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${target.token}` } });
    const done = (r: CheckResult) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const fail = (why: string) =>
      done({
        name: "websocket",
        ok: false,
        label: `the WebSocket (${url}) did not accept the token: ${why}`,
        fix: "if a proxy is in front of Mattermost, let it pass WebSocket upgrades on /api/v4/websocket",
      });
    const timer = setTimeout(() => fail("no hello within 5 s"), 5_000);
    ws.on("message", (raw) => {
      const frame = JSON.parse(String(raw)) as { event?: string };
      if (frame.event === "hello")
        done({
          name: "websocket",
          ok: true,
          label: "the WebSocket accepts the token (hello received)",
        });
    });
    ws.on("unexpected-response", (_req, res) => fail(`HTTP ${res.statusCode}`));
    ws.on("error", (error) => fail(error.message));
  });
}

async function checkStore(url: string): Promise<CheckResult> {
  try {
    const store = await openStore(url, { migrate: false });
    try {
      const status = await store.migrationStatus(serviceApps());
      if (status.pending.length > 0) {
        return {
          name: "store",
          ok: false,
          label: `store ${store.url}: opens, ${status.pending.length} migration(s) pending`,
          fix: "run mmbot start once: it applies the migrations",
        };
      }
      return { name: "store", ok: true, label: `store ${store.url}: opens, migrations up to date` };
    } finally {
      await store.close();
    }
  } catch (error) {
    return {
      name: "store",
      ok: false,
      label: `store ${url} does not open: ${error instanceof Error ? error.message : String(error)}`,
      fix: "check store.url (env DATABASE_URL): sqlite:<path> or postgres://user@host/db",
    };
  }
}
