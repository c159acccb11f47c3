/**
 * `mmbot doctor`'s checks of the HTTP side: is `http.public_url` an address Mattermost can reach,
 * does the bot answer there, and does each declared integration exist on the server, point at
 * it, and carry a token the bot accepts.
 */
import { isIP } from "node:net";
import type { Config } from "../config.js";
import { MattermostApiError } from "../../errors.js";
import { routeUrls } from "../../http/routes.js";
import type { IntegrationTokens } from "../../http/stored-tokens.js";
import type { MattermostClient } from "../../mattermost/rest.js";
import type { UserProfile } from "../../mattermost/types.js";
import type { CheckResult } from "./check-result.js";
import { outgoingKey, outgoingLabel, slashKey, slashLabel } from "./register.js";
import { findChannel, findTeam, listCommands, listOutgoingWebhooks } from "./server.js";

type HttpConfig = NonNullable<Config["http"]>;

const RUN_SETUP =
  "run mmbot setup (with a token that may manage integrations: --token or MMBOT_ADMIN_TOKEN); it creates or updates it in place";

/** Where `public_url` points, compared with where the server is. */
export function checkPublicUrl(http: HttpConfig, serverUrl: string): CheckResult[] {
  const needed = [
    http.action_secret && "buttons and dialogs",
    http.slash_commands.length > 0 && "slash commands",
    http.outgoing_webhooks.length > 0 && "outgoing webhooks",
  ].filter(Boolean);
  if (!http.public_url) {
    if (needed.length === 0) return [];
    return [
      {
        name: "public-url",
        ok: false,
        warn: true,
        label: `http.public_url is not set: ${needed.join(", ")} would point Mattermost at http://${http.listen}`,
        fix: 'set it to the address Mattermost reaches the bot at: public_url = "https://bot.example.com" (env MMBOT_HTTP_PUBLIC_URL)',
      },
    ];
  }
  const bot = addressKind(new URL(http.public_url).hostname);
  const server = addressKind(new URL(serverUrl).hostname);
  if (bot === "public" || server === "loopback" || (bot === "private" && server === "private")) {
    return [
      {
        name: "public-url",
        ok: true,
        label: `http.public_url ${http.public_url}: an address the server at ${serverUrl} can reach`,
      },
    ];
  }
  const internal =
    "; Mattermost also refuses to call internal addresses unless they are listed in ServiceSettings.AllowedUntrustedInternalConnections (System Console › Environment › Developer)";
  return [
    {
      name: "public-url",
      ok: false,
      warn: true,
      label:
        bot === "loopback"
          ? `http.public_url ${http.public_url} is a loopback address, but Mattermost runs at ${serverUrl}: it cannot reach the bot there`
          : `http.public_url ${http.public_url} is a private address: Mattermost at ${serverUrl} reaches it only from the same network`,
      fix: `set http.public_url to an address the Mattermost server can reach${internal}`,
    },
  ];
}

/** `GET {public_url}/healthz` from here: a hint, since the server may see the network differently. */
export async function checkHealthz(
  publicUrl: string,
  fetchImpl: typeof fetch = fetch,
): Promise<CheckResult> {
  const url = routeUrls.healthz(publicUrl);
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(3_000) });
    if (response.ok) return { name: "healthz", ok: true, label: `the bot answers at ${url}` };
    return {
      name: "healthz",
      ok: false,
      warn: true,
      label: `${url} answered HTTP ${response.status}, not the bot's receiver`,
      fix: "check that http.public_url leads to http.listen (proxy rules, path prefix)",
    };
  } catch (error) {
    const why =
      error instanceof Error
        ? ((error.cause as Error | undefined)?.message ?? error.message)
        : String(error);
    return {
      name: "healthz",
      ok: false,
      warn: true,
      label: `${url} does not answer from here (${why})`,
      fix: "start the bot (mmbot start); if it runs, check that http.public_url leads to http.listen (proxy, firewall)",
    };
  }
}

/** Each declared integration: on the server, pointing at public_url, with a token the bot accepts. */
export async function checkIntegrations(
  http: HttpConfig,
  client: MattermostClient,
  stored: IntegrationTokens,
): Promise<CheckResult[]> {
  if (http.slash_commands.length === 0 && http.outgoing_webhooks.length === 0) return [];
  if (!http.public_url) return []; // checkPublicUrl says so; nothing to compare the URLs with
  const publicUrl = http.public_url.replace(/\/+$/, "");
  const accepted = {
    slash: new Set([...http.slash_tokens, ...Object.values(stored.slash)]),
    outgoing: new Set([...http.outgoing_webhook_tokens, ...Object.values(stored.outgoingWebhook)]),
  };
  const results: CheckResult[] = [];
  try {
    for (const [i, declared] of http.slash_commands.entries()) {
      const label = slashLabel(declared);
      const team = await findTeam(client, declared.team, `http.slash_commands[${i}].team`);
      const found = (await listCommands(client, team.id)).find(
        (c) => c.trigger === declared.trigger,
      );
      results.push(
        judge(
          `slash-command:${slashKey(declared)}`,
          label,
          found && { url: found.url, token: found.token },
          routeUrls.slash(publicUrl),
          accepted.slash,
          "http.slash_tokens",
        ),
      );
    }
    for (const [i, declared] of http.outgoing_webhooks.entries()) {
      const label = outgoingLabel(declared);
      const team = await findTeam(client, declared.team, `http.outgoing_webhooks[${i}].team`);
      const channelId = declared.channel
        ? (
            await findChannel(
              client,
              team,
              declared.channel,
              `http.outgoing_webhooks[${i}].channel`,
            )
          ).id
        : "";
      const found = (await listOutgoingWebhooks(client, team.id)).find(
        (h) =>
          h.channel_id === channelId &&
          (h.trigger_words.some((w) => declared.trigger_words.includes(w)) ||
            h.trigger_words.length + declared.trigger_words.length === 0),
      );
      results.push(
        judge(
          `outgoing-webhook:${outgoingKey(declared)}`,
          label,
          found && { url: found.callback_urls.join(" "), token: found.token },
          routeUrls.outgoingWebhook(publicUrl),
          accepted.outgoing,
          "http.outgoing_webhook_tokens",
        ),
      );
    }
  } catch (error) {
    if (error instanceof MattermostApiError && error.status === 403) {
      results.push({
        name: "integrations",
        ok: false,
        warn: true,
        label:
          "the declared integrations cannot be checked with this token: the server does not show integrations to it (403)",
        fix: "check with a token that may manage integrations: MMBOT_ADMIN_TOKEN=<an admin's personal access token> mmbot doctor (or --token)",
      });
    } else if (error instanceof MattermostApiError && error.status === 501) {
      results.push({
        name: "integrations",
        ok: false,
        label: `the declared integrations are disabled on the server (${error.serverErrorId})`,
        fix: "a system admin enables them: System Console › Integrations › Integration Management (ServiceSettings.EnableCommands, EnableOutgoingWebhooks), then run mmbot setup",
      });
    } else {
      results.push({
        name: "integrations",
        ok: false,
        label: `the declared integrations cannot be checked: ${error instanceof Error ? error.message : String(error)}`,
        fix: "fix the team or channel named in the configuration",
      });
    }
  }
  return results;
}

/**
 * A webhook bound to a channel: the bot answers there over REST as itself, so it must be a member
 * (or have "post:channels"). A warning: the server may have granted the permission.
 */
export async function checkWebhookChannels(
  http: HttpConfig,
  bot: MattermostClient,
  me: UserProfile,
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const declared of http.outgoing_webhooks) {
    if (!declared.channel) continue;
    const team = (await bot.getMyTeams()).find(
      (t) => t.name === declared.team || t.id === declared.team,
    );
    const mine = team ? await bot.getMyChannels(team.id) : [];
    if (mine.some((c) => c.name === declared.channel || c.id === declared.channel)) continue;
    results.push({
      name: `webhook-channel:${declared.channel}`,
      ok: false,
      warn: true,
      label: `${outgoingLabel(declared)}: @${me.username} is not a member of ~${declared.channel}, so its answers there may be refused`,
      fix: `invite it: /invite @${me.username} in ~${declared.channel} (or give the bot "post:channels" in System Console › Integrations › Bot Accounts)`,
    });
  }
  return results;
}

function judge(
  name: string,
  label: string,
  found: { url: string; token: string } | undefined,
  wantedUrl: string,
  accepted: Set<string>,
  tokensKey: string,
): CheckResult {
  if (!found)
    return { name, ok: false, label: `${label}: not registered on the server`, fix: RUN_SETUP };
  if (!found.url.split(" ").includes(wantedUrl))
    return {
      name,
      ok: false,
      label: `${label}: points at ${found.url}, not ${wantedUrl} (http.public_url)`,
      fix: RUN_SETUP,
    };
  if (!accepted.has(found.token)) {
    return {
      name,
      ok: false,
      label: `${label}: the bot would refuse its token (neither stored by mmbot setup nor in ${tokensKey})`,
      fix: `run mmbot setup: it stores the token; or add it to ${tokensKey}`,
    };
  }
  return { name, ok: true, label: `${label}: registered, points at ${wantedUrl}, token accepted` };
}

type AddressKind = "loopback" | "private" | "public";

/** By name or literal address only (no DNS lookups): `localhost`, 127/8, ::1, RFC 1918, link-local, fc00::/7. */
export function addressKind(hostname: string): AddressKind {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    host === "::1" ||
    host === "0.0.0.0" ||
    /^127\./.test(host)
  )
    return "loopback";
  if (isIP(host) === 4) {
    const [a, b] = host.split(".").map(Number) as [number, number];
    if (
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254)
    )
      return "private";
  }
  if (isIP(host) === 6 && /^(f[cd]|fe[89ab])/.test(host)) return "private";
  return "public";
}
