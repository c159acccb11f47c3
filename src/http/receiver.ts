/**
 * The HTTP receiver: one Fastify server for what Mattermost sends to integrations (outgoing
 * webhooks, slash commands, button/menu clicks, dialog submissions). Every request is checked
 * (content type, size, token or signature, fields) before any work; a refusal is a 4xx with a
 * one-line JSON `{error}` and a log line without the secret. Never a 5xx.
 */
import { randomBytes } from "node:crypto";
import { parse as parseQueryString } from "node:querystring";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { ConfigError } from "../errors.js";
import type { Logger } from "../log.js";
import {
  parseActionClick,
  parseDialogSubmission,
  parseOutgoingWebhook,
  parseSlashCommand,
  type ActionClickPayload,
  type DialogSubmissionPayload,
  type OutgoingWebhookPayload,
  type SlashCommandPayload,
} from "./payloads.js";
import { verifyActionContext, verifyDialog } from "./signature.js";
import { slashToken, tokenMatches } from "./verify.js";

/** What the bot does with each verified request; each resolves with the JSON answer. */
export interface IntegrationHandlers {
  outgoingWebhook(payload: OutgoingWebhookPayload): Promise<object>;
  slash(payload: SlashCommandPayload): Promise<object>;
  action(actionId: string, payload: ActionClickPayload, data: Record<string, unknown>): Promise<object>;
  dialog(payload: DialogSubmissionPayload): Promise<object>;
}

export interface HttpReceiverOptions {
  /** `host:port` to listen on; port 0 picks a free one. */
  listen: string;
  /** Where Mattermost reaches this server; default `http://<listen address>`. */
  publicUrl?: string;
  tokens: { outgoingWebhook?: string[]; slash?: string[] };
  /** Key of the signatures on buttons, menus and dialogs; without it those routes refuse everything. */
  actionSecret?: string;
  /** Largest accepted body (default 64 KiB). */
  bodyLimitBytes?: number;
  logger: Logger;
  handlers: IntegrationHandlers;
  now?: () => number;
}

/** A request turned away: the status and the one-line reason sent as `{error}`. */
class Refusal {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 415,
    readonly reason: string,
  ) {}
}

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

/**
 * @example
 * const receiver = new HttpReceiver({ listen: "127.0.0.1:3000", tokens: { slash: [token] }, logger, handlers });
 * await receiver.start(); // receiver.publicUrl → "http://127.0.0.1:3000"
 */
export class HttpReceiver {
  private app: FastifyInstance | undefined;
  private url: string | undefined;

  constructor(private readonly options: HttpReceiverOptions) {}

  /** The address Mattermost must call (known after `start()` when listening on port 0). */
  get publicUrl(): string {
    if (!this.url) throw new Error("the HTTP receiver is not started");
    return this.url;
  }

  async start(): Promise<void> {
    if (this.app) return;
    const { host, port } = parseListen(this.options.listen);
    const app = this.build();
    try {
      await app.listen({ host, port });
    } catch (error) {
      await app.close();
      const why = error instanceof Error ? error.message : String(error);
      throw new ConfigError(`http.listen = "${this.options.listen}": cannot listen (${why}); choose another address or port`, { cause: error });
    }
    const address = app.server.address();
    const actualPort = typeof address === "object" && address ? address.port : port;
    this.url = (this.options.publicUrl ?? `http://${host.includes(":") ? `[${host}]` : host}:${actualPort}`).replace(/\/+$/, "");
    this.app = app;
    this.options.logger.info({ listen: `${host}:${actualPort}`, publicUrl: this.url }, "http: receiving integrations");
  }

  async stop(): Promise<void> {
    const app = this.app;
    this.app = undefined;
    await app?.close();
  }

  private build(): FastifyInstance {
    const { logger } = this.options;
    const app = Fastify({ logger: false, bodyLimit: this.options.bodyLimitBytes ?? 64 * 1024, forceCloseConnections: true });
    app.addContentTypeParser(FORM, { parseAs: "string" }, (_req, body, done) => done(null, parseForm(body as string)));
    // Fastify's own refusals (size, media type, malformed JSON) get the same one-line shape.
    app.setErrorHandler((error: { statusCode?: number; message: string; code?: string }, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) return refuse(request, reply, new Refusal(status as Refusal["status"], describeFastifyError(error)), logger);
      const ref = randomBytes(4).toString("hex");
      logger.error({ err: error, ref, method: request.method, route: routeOf(request) }, "http: unexpected failure");
      const text = `Sorry, something went wrong (ref ${ref}).`;
      return reply.code(200).send({ response_type: "ephemeral", text, ephemeral_text: text });
    });
    app.setNotFoundHandler((request, reply) => refuse(request, reply, new Refusal(404, `no such route: ${request.method} ${routeOf(request)}`), logger));

    app.get("/healthz", async () => ({ status: "ok" }));
    app.post("/hooks/outgoing", (request, reply) => this.run(request, reply, () => this.outgoingWebhook(request)));
    app.route({ method: ["GET", "POST"], url: "/slash", handler: (request, reply) => this.run(request, reply, () => this.slash(request)) });
    app.post<{ Params: { actionId: string } }>("/actions/:actionId", (request, reply) => this.run(request, reply, () => this.action(request)));
    app.post("/dialogs", (request, reply) => this.run(request, reply, () => this.dialog(request)));
    return app;
  }

  private async run(request: FastifyRequest, reply: FastifyReply, work: () => Promise<object | Refusal>): Promise<FastifyReply> {
    const answer = await work();
    if (answer instanceof Refusal) return refuse(request, reply, answer, this.options.logger);
    return reply.code(200).type(JSON_TYPE).send(answer);
  }

  private async outgoingWebhook(request: FastifyRequest): Promise<object | Refusal> {
    const encoding = mediaType(request) === FORM ? "form" : mediaType(request) === JSON_TYPE ? "json" : undefined;
    if (!encoding) return unsupported(request, `${FORM} or ${JSON_TYPE}`);
    const body = request.body as Record<string, unknown> | undefined;
    const tokenRefusal = checkToken(this.options.tokens.outgoingWebhook, body?.token, "outgoing webhook", "http.outgoing_webhook_tokens (or run mmbot setup)");
    if (tokenRefusal) return tokenRefusal;
    const parsed = parseOutgoingWebhook(body, encoding);
    if (!parsed.ok) return new Refusal(400, `malformed outgoing webhook: ${parsed.reason}`);
    return this.options.handlers.outgoingWebhook(parsed.value);
  }

  private async slash(request: FastifyRequest): Promise<object | Refusal> {
    let fields: unknown = request.query;
    if (request.method === "POST") {
      const type = mediaType(request);
      if (type !== FORM && type !== JSON_TYPE) return unsupported(request, `${FORM} or ${JSON_TYPE}`);
      fields = request.body;
    }
    const record = (typeof fields === "object" && fields) || {};
    const given = slashToken(request.headers.authorization, (record as Record<string, unknown>).token);
    const tokenRefusal = checkToken(this.options.tokens.slash, given, "slash command", "http.slash_tokens (or run mmbot setup)");
    if (tokenRefusal) return tokenRefusal;
    const parsed = parseSlashCommand(record);
    if (!parsed.ok) return new Refusal(400, `malformed slash command: ${parsed.reason}`);
    return this.options.handlers.slash(parsed.value);
  }

  private async action(request: FastifyRequest<{ Params: { actionId: string } }>): Promise<object | Refusal> {
    if (mediaType(request) !== JSON_TYPE) return unsupported(request, JSON_TYPE);
    const secret = this.options.actionSecret;
    if (!secret) return new Refusal(403, "buttons and menus are not enabled: set http.actionSecret");
    const parsed = parseActionClick(request.body);
    if (!parsed.ok) return new Refusal(400, `malformed action click: ${parsed.reason}`);
    const { actionId } = request.params;
    const click = parsed.value;
    const check = verifyActionContext(secret, { actionId, channelId: click.channel_id, context: click.context, nowMs: this.now() });
    if (!check.ok) {
      const why = { missing: "has no signature", malformed: "has a malformed signature", expired: "has expired", wrong: "has a wrong signature (forged, changed, or for another action or channel)" }[check.failure];
      return new Refusal(403, `action ${actionId} ${why}`);
    }
    return this.options.handlers.action(actionId, click, check.data);
  }

  private async dialog(request: FastifyRequest): Promise<object | Refusal> {
    if (mediaType(request) !== JSON_TYPE) return unsupported(request, JSON_TYPE);
    const secret = this.options.actionSecret;
    if (!secret) return new Refusal(403, "dialogs are not enabled: set http.actionSecret");
    const parsed = parseDialogSubmission(request.body);
    if (!parsed.ok) return new Refusal(400, `malformed dialog submission: ${parsed.reason}`);
    const submission = parsed.value;
    const check = verifyDialog(secret, {
      callbackId: submission.callback_id,
      channelId: submission.channel_id,
      userId: submission.user_id,
      query: request.query as Record<string, unknown>,
      nowMs: this.now(),
    });
    if (!check.ok) return new Refusal(403, `dialog ${submission.callback_id} submission ${check.failure === "missing" ? "has no signature" : `signature is ${check.failure}`}`);
    // Mattermost sends cancellations only when asked; the signed URL says whether this dialog asked.
    if (submission.cancelled && !check.notifyOnCancel) return {};
    return this.options.handlers.dialog(submission);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/**
 * A form body as fields (an object without prototype: `__proto__` is a field like any other);
 * a repeated field keeps its last value. querystring is a third faster than URLSearchParams.
 */
function parseForm(body: string): Record<string, string> {
  const fields = parseQueryString(body, "&", "=", { maxKeys: 0 });
  for (const key in fields) {
    const value = fields[key]!;
    if (typeof value !== "string") fields[key] = value[value.length - 1]!;
  }
  return fields as Record<string, string>;
}

function checkToken(allowed: string[] | undefined, given: unknown, what: string, key: string): Refusal | undefined {
  if (!allowed?.length) return new Refusal(401, `${what}s are not enabled: set ${key}`);
  if (typeof given !== "string" || given === "") return new Refusal(401, `missing ${what} token`);
  if (!tokenMatches(given, allowed)) return new Refusal(401, `wrong ${what} token`);
  return undefined;
}

function unsupported(request: FastifyRequest, expected: string): Refusal {
  const got = mediaType(request) || "none";
  return new Refusal(415, `unsupported content type ${got}: expected ${expected}`);
}

function refuse(request: FastifyRequest, reply: FastifyReply, refusal: Refusal, logger: Logger): FastifyReply {
  // the route, never the query: a GET slash command carries its token there
  logger.warn({ method: request.method, route: routeOf(request), status: refusal.status, reason: refusal.reason, remote: request.ip }, `http: refused: ${refusal.reason}`);
  return reply.code(refusal.status).type(JSON_TYPE).send({ error: refusal.reason });
}

function mediaType(request: FastifyRequest): string {
  return (request.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
}

function routeOf(request: FastifyRequest): string {
  return request.url.split("?")[0] ?? "";
}

function describeFastifyError(error: { code?: string; message: string }): string {
  switch (error.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "the body is too large";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return "unsupported content type";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return "the JSON body is empty";
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return "the content length does not match the body";
    default:
      return error.message.split("\n")[0] ?? "bad request";
  }
}

function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new ConfigError(`http.listen ${JSON.stringify(listen)} is not host:port (e.g. "127.0.0.1:3000")`);
  return { host: (match[1] ?? match[2])!, port };
}
