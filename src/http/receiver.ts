/**
 * The HTTP receiver for Mattermost's integrations: the checks and answers of
 * integration-endpoint.ts, offered as a node:http handler and a web-standard fetch handler to
 * mount in any server, and, with `listen`, served by a node:http listener of its own.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ConfigError } from "../errors.js";
import { IntegrationEndpoint, type IntegrationEndpointOptions } from "./integration-endpoint.js";
import { toFetchHandler, type FetchHandler } from "./fetch-adapter.js";
import { toNodeHandler, type NodeHandler } from "./node-adapter.js";
import type { HttpHandler } from "./mountable-handler.js";
import {
  answerClientErrors,
  closeServer,
  hostPort,
  listenOn,
  parseListen,
  requireListenOrPublicUrl,
} from "./listen.js";
import { mountPathOf } from "./routes.js";

export type { IntegrationHandlers, PlainRequest, PlainResponse } from "./integration-endpoint.js";
export type { FetchHandler } from "./fetch-adapter.js";
export type { NodeHandler } from "./node-adapter.js";
export type { HttpHandler } from "./mountable-handler.js";

export interface HttpReceiverOptions extends IntegrationEndpointOptions {
  /** `host:port` to listen on; port 0 picks a free one. Without it nothing listens: mount `node` or `fetch` in your server. */
  listen?: string;
  /** Where Mattermost reaches the receiver, mount path included (`https://example.com/mattermost`); default `http://<listen address>`. */
  publicUrl?: string;
  /** On the receiver's own listener, answers requests first (true when it did), e.g. `/metrics`; the rest go to the integrations. */
  alsoServe?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** Longer than the idle timeout of Mattermost's HTTP client and of common proxies, so a reused connection is not closed under them (Fastify's default). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/**
 * @example
 * const receiver = new HttpReceiver({ listen: "127.0.0.1:3000", tokens: { slash: [token] }, logger, handlers });
 * await receiver.start(); // receiver.publicUrl → "http://127.0.0.1:3000"
 * @example
 * const receiver = new HttpReceiver({ publicUrl: "https://example.com/mattermost", tokens, logger, handlers });
 * createServer((req, res) => (req.url?.startsWith("/mattermost/") ? receiver.node(req, res) : myApp(req, res)));
 */
export class HttpReceiver implements HttpHandler {
  readonly node: NodeHandler;
  readonly fetch: FetchHandler;
  private server: Server | undefined;
  private url: string | undefined;

  constructor(private readonly options: HttpReceiverOptions) {
    if (options.publicUrl !== undefined && !URL.canParse(options.publicUrl)) {
      throw new ConfigError(
        `http.publicUrl ${JSON.stringify(options.publicUrl)} is not a URL: give the address Mattermost calls, e.g. "https://example.com/mattermost"`,
      );
    }
    requireListenOrPublicUrl(options, "the http option");
    this.url = options.publicUrl?.replace(/\/+$/, "");
    const endpoint = new IntegrationEndpoint(options);
    const mountPath = this.url ? mountPathOf(this.url) : "";
    this.node = toNodeHandler(endpoint, mountPath);
    this.fetch = toFetchHandler(endpoint, mountPath);
  }

  /** The address Mattermost must call (known after `start()` when listening on port 0 without a publicUrl). */
  get publicUrl(): string {
    if (!this.url) throw new Error("the HTTP receiver is not started");
    return this.url;
  }

  /** Listens when `listen` was given; mounted, it only says where Mattermost calls. */
  async start(): Promise<void> {
    if (this.server) return;
    const { logger, listen } = this.options;
    if (!listen) {
      logger.info(
        { publicUrl: this.url },
        "http: receiving integrations through the handler mounted in the host's server",
      );
      return;
    }
    const parsed = parseListen(listen);
    if (!parsed)
      throw new ConfigError(
        `http.listen ${JSON.stringify(listen)} is not host:port (e.g. "127.0.0.1:3000")`,
      );
    const { host, port } = parsed;
    const { alsoServe } = this.options;
    const server = createServer(
      alsoServe ? (req, res) => void (alsoServe(req, res) || this.node(req, res)) : this.node,
    );
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    answerClientErrors(server);
    let actualPort: number;
    try {
      actualPort = await listenOn(server, host, port);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new ConfigError(
        `http.listen = "${listen}": cannot listen (${why}); choose another address or port`,
        { cause: error },
      );
    }
    this.url ??= `http://${hostPort(host, actualPort)}`;
    this.server = server;
    logger.info(
      { listen: `${host}:${actualPort}`, publicUrl: this.url },
      "http: receiving integrations",
    );
  }

  /** Stops listening, closing kept-alive connections at once; a mounted receiver has nothing to stop. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await closeServer(server);
  }
}
