/**
 * `/metrics` and `/readyz` on a listener of their own (e.g. `127.0.0.1:9464`), for a bot without
 * an HTTP receiver or one that keeps them off its public listener. A `Source` only for its life
 * cycle: started and stopped with the bot; it receives no events.
 */
import { createServer, type Server } from "node:http";
import type { Source } from "../bot/source.js";
import { ConfigError } from "../errors.js";
import {
  answerClientErrors,
  closeServer,
  hostPort,
  listenOn,
  parseListen,
} from "../http/listen.js";
import type { Logger } from "../log.js";
import type { BotMetrics } from "./bot-metrics.js";
import { metricsRequestHandler } from "./endpoint.js";

export interface MetricsListenerOptions {
  /** `host:port`; port 0 picks a free one (see `address` once started). */
  listen: string;
  metrics: BotMetrics;
}

/**
 * @example await bot.start(new WebSocketSource(), new MetricsListener({ listen: "127.0.0.1:9464", metrics }));
 */
export class MetricsListener implements Source {
  readonly name = "metrics";
  private server: Server | undefined;
  private bound: string | undefined;

  constructor(private readonly options: MetricsListenerOptions) {}

  /** `host:port` listened on, after `start()`. */
  get address(): string {
    if (!this.bound) throw new Error("the metrics listener is not started");
    return this.bound;
  }

  async start(host: { logger: Logger }): Promise<void> {
    const parsed = parseListen(this.options.listen);
    if (!parsed)
      throw new ConfigError(
        `metrics listen address ${JSON.stringify(this.options.listen)} is not host:port (e.g. "127.0.0.1:9464")`,
      );
    const { host: hostname, port } = parsed;
    const handle = metricsRequestHandler(this.options.metrics);
    const server = createServer((req, res) => {
      if (!handle(req, res))
        res
          .writeHead(404, { "content-type": "text/plain; charset=utf-8" })
          .end("not found: this listener serves GET /metrics and GET /readyz\n");
    });
    answerClientErrors(server);
    let bound: number;
    try {
      bound = await listenOn(server, hostname, port);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ConfigError(
        `metrics listen address "${this.options.listen}": cannot listen (${why}); choose another address or port`,
        { cause: error },
      );
    }
    this.bound = hostPort(hostname, bound);
    this.server = server;
    host.logger.info({ listen: this.bound }, "metrics: serving /metrics and /readyz");
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }
}
