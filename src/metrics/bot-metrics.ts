/**
 * The bot's metrics in Prometheus form (prom-client): an observer of the bot (src/bot/observer.ts)
 * that counts what it is told, on a registry of its own, so several bots in one process (or
 * tests) never share counters. Names start with `mmbot_`. One per bot: it reads the store and
 * the readiness of the bot that attached last.
 */
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from "prom-client";
import type { Envelope } from "../bot/envelope.js";
import type { BotObserver, ObservedBot } from "../bot/observer.js";
import type { PolicyDecision } from "../bot/policy.js";
import type { RestObserver } from "../mattermost/rest.js";

export interface BotMetricsOptions {
  /** Node's process metrics (CPU, memory, event loop lag, GC) on the same registry (default true). */
  processMetrics?: boolean;
}

const PREFIX = "mmbot_";
/** Handlers answer in milliseconds to tens of seconds (a bridge's program, an agent). */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * @example
 * const metrics = new BotMetrics();
 * const bot = new Bot({ url, token, observer: metrics });
 * await bot.start(new WebSocketSource(), new MetricsListener({ listen: "127.0.0.1:9464", metrics }));
 */
export class BotMetrics implements BotObserver {
  readonly registry = new Registry();
  readonly rest: RestObserver;
  private bot: ObservedBot | undefined;
  private readonly sourceStates = new Map<string, { state: string; connectedBefore: boolean }>();

  private readonly receivedEvents = this.counter({
    name: "events_received_total",
    help: "Events that reached the pipeline, before deduplication",
    labelNames: ["kind", "source"],
  });
  private readonly droppedEvents = this.counter({
    name: "events_dropped_total",
    help: "Events not handled, silently: duplicates, own posts, the policy's drops",
    labelNames: ["kind", "reason"],
  });
  private readonly refusedEvents = this.counter({
    name: "events_refused_total",
    help: "Events refused by the policy with a message to the user",
    labelNames: ["kind", "reason"],
  });
  private readonly handledEvents = this.counter({
    name: "events_handled_total",
    help: "Events the handlers ran for; outcome error when they threw",
    labelNames: ["kind", "outcome"],
  });
  private readonly duration = this.histogram({
    name: "handler_duration_seconds",
    help: "How long the handlers took, by event kind",
    labelNames: ["kind"],
    buckets: DURATION_BUCKETS,
  });
  private readonly posts = this.counter({
    name: "outbox_posts_total",
    help: "Tries of the outbox to post: sent, failed and retried later, failed for good",
    labelNames: ["outcome"],
  });
  private readonly states = this.gauge({
    name: "source_state",
    help: "1 for the state each source is in now (connected, reconnecting, …)",
    labelNames: ["source", "state"],
  });
  private readonly reconnects = this.counter({
    name: "source_reconnects_total",
    help: "Connections a source made again after losing one",
    labelNames: ["source"],
  });

  constructor(options: BotMetricsOptions = {}) {
    const requests = this.counter({
      name: "rest_requests_total",
      help: "REST tries by method and HTTP status (0: no answer)",
      labelNames: ["method", "status"],
    });
    const retries = this.counter({
      name: "rest_retries_total",
      help: "REST requests tried again, by method and the failed try's status",
      labelNames: ["method", "status"],
    });
    const limited = this.counter({
      name: "rest_rate_limited_total",
      help: "REST answers 429 Too Many Requests",
    });
    this.rest = {
      response: (method, status) => {
        requests.inc({ method, status: String(status) });
        if (status === 429) limited.inc();
      },
      retry: (method, status) => retries.inc({ method, status: String(status) }),
    };
    const metrics = this;
    this.gauge({
      name: "outbox_pending",
      help: "Outbox entries waiting to be posted (read from the store at scrape time; NaN when it does not answer)",
      async collect() {
        this.set(await metrics.pendingPosts());
      },
    });
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /** The metrics in Prometheus' text format. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The bot this observes (after its `init()`), for `/readyz`. */
  get observed(): ObservedBot | undefined {
    return this.bot;
  }

  /** A counter on this registry, `mmbot_` added to its name; the same one again if it exists (an app started twice). */
  counter<L extends string>(config: CounterConfiguration<L>): Counter<L> {
    return (
      this.existing<Counter<L>>(config.name) ??
      new Counter({ ...config, name: prefixed(config.name), registers: [this.registry] })
    );
  }

  gauge<L extends string>(config: GaugeConfiguration<L>): Gauge<L> {
    return (
      this.existing<Gauge<L>>(config.name) ??
      new Gauge({ ...config, name: prefixed(config.name), registers: [this.registry] })
    );
  }

  histogram<L extends string>(config: HistogramConfiguration<L>): Histogram<L> {
    return (
      this.existing<Histogram<L>>(config.name) ??
      new Histogram({ ...config, name: prefixed(config.name), registers: [this.registry] })
    );
  }

  // --- BotObserver ---

  attach(bot: ObservedBot): void {
    this.bot = bot;
  }

  received(envelope: Envelope): void {
    this.receivedEvents.inc({ kind: envelope.kind, source: envelope.source });
  }

  declined(envelope: Envelope, decision: Exclude<PolicyDecision, { action: "handle" }>): void {
    (decision.action === "refuse" ? this.refusedEvents : this.droppedEvents).inc({
      kind: envelope.kind,
      reason: decision.reason,
    });
  }

  handled(envelope: Envelope, seconds: number, failed: boolean): void {
    this.handledEvents.inc({ kind: envelope.kind, outcome: failed ? "error" : "ok" });
    this.duration.observe({ kind: envelope.kind }, seconds);
  }

  posted(outcome: "sent" | "retried" | "failed"): void {
    this.posts.inc({ outcome });
  }

  sourceState(source: string, state: string): void {
    const known = this.sourceStates.get(source) ?? { state: "", connectedBefore: false };
    if (state === "connected" && known.state !== "connected") {
      if (known.connectedBefore) this.reconnects.inc({ source });
      known.connectedBefore = true;
    }
    if (known.state && known.state !== state) this.states.set({ source, state: known.state }, 0);
    known.state = state;
    this.states.set({ source, state }, 1);
    this.sourceStates.set(source, known);
  }

  private async pendingPosts(): Promise<number> {
    if (!this.bot) return Number.NaN;
    try {
      const row = await this.bot.store.db
        .selectFrom("outbox")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("status", "=", "pending")
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    } catch {
      return Number.NaN;
    }
  }

  private existing<M>(name: string): M | undefined {
    return this.registry.getSingleMetric(prefixed(name)) as M | undefined;
  }
}

function prefixed(name: string): string {
  return name.startsWith(PREFIX) ? name : `${PREFIX}${name}`;
}
