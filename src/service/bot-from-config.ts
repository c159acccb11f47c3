/**
 * `mmbot start`'s bot, built from the configuration: the policy, the sources (the WebSocket or
 * polling, as `mattermost.transport` says, and the HTTP receiver with an `[http]` section) and
 * the apps (the bridges, the todo bot, the agent). The
 * service layer, unlike the library, may name configuration keys in what it says.
 */
import { todo } from "../apps/todo/index.js";
import { Bot } from "../bot/bot.js";
import type { Source } from "../bot/source.js";
import type { BotTexts } from "../bot/texts.js";
import { agentApiKey, type Config } from "./config.js";
import { importOptional } from "../errors.js";
import { mcpFromConfig } from "./agent-mcp-config.js";
import type { Logger } from "../log.js";
import { mountPathOf } from "../http/routes.js";
import type { BotMetrics } from "../metrics/bot-metrics.js";
import { AutoSource } from "../sources/auto.js";
import { HttpSource, type HttpSourceOptions } from "../sources/http.js";
import { PollingSource } from "../sources/polling.js";
import { WebSocketSource } from "../sources/websocket.js";
import { SERVICE_TOKEN_FIX, SERVICE_UNREACHABLE_FIX } from "./bot-token.js";
import { bridgeFromConfig } from "./bridge-config.js";

/** What the service says where the library would not name a key. */
export const serviceTexts: Partial<BotTexts> = {
  notAllowed: (bot) =>
    `Sorry, you are not allowed to use @${bot}. Ask an admin to add you to policy.allowed_users.`,
};

/** Where the receiver's refusals say the tokens come from. */
export const serviceTokenHints = {
  outgoingWebhook: "http.outgoing_webhook_tokens (or run mmbot setup)",
  slash: "http.slash_tokens (or run mmbot setup)",
};

/** The `[http]` section as the HTTP source's options. */
export function httpSourceOptions(http: NonNullable<Config["http"]>): HttpSourceOptions {
  return {
    listen: http.listen,
    publicUrl: http.public_url,
    tokens: { outgoingWebhook: http.outgoing_webhook_tokens, slash: http.slash_tokens },
    actionSecret: http.action_secret,
    tokenHints: serviceTokenHints,
  };
}

/** The source `mattermost.transport` names: the WebSocket, REST polling, or the one that switches between them. */
export function mattermostSource(mattermost: Config["mattermost"]): Source {
  const polling = { intervalMs: mattermost.polling_interval_ms };
  if (mattermost.transport === "websocket") return new WebSocketSource();
  if (mattermost.transport === "polling") return new PollingSource(polling);
  return new AutoSource({ polling });
}

/** The `[agent]` section as the agent app (loaded only for a bot that has one). */
export async function agentFromConfig(
  section: NonNullable<Config["agent"]>,
  apiKey: string | undefined,
) {
  const { agent } = await import("../apps/agent/index.js");
  return agent({
    url: section.url,
    model: section.model,
    apiKey,
    systemPrompt: section.system_prompt,
    temperature: section.temperature,
    maxTokens: section.max_tokens,
    timeoutMs: section.timeout_seconds * 1000,
    historyMaxTokens: section.history_max_tokens,
    followThreadsMinutes: section.follow_threads_minutes,
    allowedUsers: section.allowed_users,
    channels: section.channels.map((c) =>
      typeof c === "string"
        ? c
        : {
            channel: c.channel,
            mode: c.mode,
            systemPrompt: c.system_prompt,
            model: c.model,
            allowedUsers: c.allowed_users,
            mcpServers: c.mcp,
          },
    ),
    tools: await mcpFromConfig(section.mcp),
    approvers: section.approvers,
    approvalTimeoutMs: section.approval_timeout_seconds * 1000,
    toolResultMaxChars: section.tool_result_max_chars,
    vision: section.vision && {
      maxImages: section.vision_max_images,
      maxImageBytes: Math.round(section.vision_max_image_mb * 1_048_576),
    },
    statusReactions: section.status_reactions && {
      received: section.reaction_received,
      tool: section.reaction_tool,
      done: section.reaction_done,
      failed: section.reaction_failed,
    },
  });
}

export interface ServiceBot {
  bot: Bot;
  sources: Source[];
  /** The HTTP source, when the bot receives integrations. */
  http: HttpSource | undefined;
  /** The bot's metrics, when they are served (metrics.listen, or [http]'s listener). */
  metrics: BotMetrics | undefined;
}

/**
 * The bot of `mmbot start` for `config`, against `server`; not started. `http` replaces the
 * `[http]` section (the embedded sandbox registers its own integrations).
 */
export async function botFromConfig(
  config: Config,
  server: { url: string; token: string; allowedUsers: "*" | string[] },
  logger: Logger,
  http?: HttpSourceOptions & { triggerWords?: string[] },
): Promise<ServiceBot> {
  const httpOptions = http
    ? { tokenHints: serviceTokenHints, ...http }
    : config.http && httpSourceOptions(config.http);
  // on a listener of their own with metrics.listen, else beside the integrations on http.listen
  const metricsListen = config.metrics.listen;
  // prom-client is loaded only by a bot that serves metrics: it weighs on start time and memory
  const metricsModule =
    metricsListen || httpOptions?.listen
      ? await importOptional(
          "prom-client",
          "the bot's metrics (metrics.listen or [http])",
          () => import("../metrics/index.js"),
        )
      : undefined;
  const metrics = metricsModule && new metricsModule.BotMetrics();
  const bot = new Bot({
    url: server.url,
    token: server.token,
    maxRequestsPerSecond: config.mattermost.max_requests_per_second,
    store: config.store.url,
    claimLeaseMs: config.store.claim_lease_ms,
    logger,
    policy: {
      allowedUsers: server.allowedUsers,
      channels: config.policy.channels,
      mentionOnly: config.policy.mention_only,
      threadReplies: config.policy.thread_replies,
      ignoreBots: config.policy.ignore_bots,
    },
    triggerWords: http?.triggerWords ?? config.http?.trigger_words ?? [],
    answerWithinMs: config.http?.answer_within_ms,
    texts: serviceTexts,
    observer: metrics,
    // a message sent while the process was starting (config, store, waiting for the server) is answered
    startedAt: Math.floor(performance.timeOrigin),
    tokenCheckMs: config.mattermost.token_check_interval_ms,
    tokenFix: `${SERVICE_TOKEN_FIX}; run \`mmbot doctor\` to check it`,
    unreachableFix: SERVICE_UNREACHABLE_FIX,
  });
  if (config.bridge.length > 0) bot.use(bridgeFromConfig(config.bridge)); // before the todo app, which takes every other mention
  // with an agent, the todo app keeps only what names it by the word todo; every other mention goes to the model
  bot.use(todo({ wordOnly: config.agent !== undefined }));
  if (config.agent) bot.use(await agentFromConfig(config.agent, agentApiKey(config)));
  const alsoServe =
    metricsModule && metrics && !metricsListen
      ? metricsModule.metricsRequestHandler(
          metrics,
          httpOptions?.publicUrl ? mountPathOf(httpOptions.publicUrl) : "",
        )
      : undefined;
  const httpSource = httpOptions && new HttpSource({ ...httpOptions, alsoServe });
  const sources: Source[] = [
    mattermostSource(config.mattermost),
    ...(httpSource ? [httpSource] : []),
  ];
  if (metricsModule && metrics && metricsListen)
    sources.push(new metricsModule.MetricsListener({ listen: metricsListen, metrics }));
  return { bot, sources, http: httpSource, metrics };
}
