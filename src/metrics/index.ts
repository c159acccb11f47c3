/**
 * `mmbot/metrics`: the bot's Prometheus metrics and readiness, apart from the library so a bot
 * without them does not load prom-client.
 */
import type { BotObserver } from "../bot/observer.js";
import { BotMetrics } from "./bot-metrics.js";

export { BotMetrics, type BotMetricsOptions } from "./bot-metrics.js";
export { metricsRequestHandler, METRICS_PATHS, type MetricsRequestHandler } from "./endpoint.js";
export { MetricsListener, type MetricsListenerOptions } from "./listener.js";

/**
 * The bot's metrics, for an app or a source to add its own (from `AppRuntime` or `SourceHost`);
 * undefined when the bot has none.
 * @example
 * start(runtime) { answers = metricsOf(runtime)?.counter({ name: "agent_answers_total", help: "…" }); }
 */
export function metricsOf(runtime: {
  readonly observer: BotObserver | undefined;
}): BotMetrics | undefined {
  return runtime.observer instanceof BotMetrics ? runtime.observer : undefined;
}
