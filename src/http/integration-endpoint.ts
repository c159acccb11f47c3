/**
 * What Mattermost sends to integrations (outgoing webhooks, slash commands, button/menu clicks,
 * dialog submissions), handled as a plain request in, a plain response out: no server, no
 * framework, so adapters can mount it anywhere. Every request is checked (route, content type,
 * size, body, token or signature, fields) before any work; a refusal is a 4xx with a one-line
 * JSON `{error}` and a log line without the secret. Never a 5xx.
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../log.js";
import { FORM, JSON_TYPE, mediaTypeOf, parseForm, parseJsonBody } from "./bodies.js";
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
import { matchRoute } from "./routes.js";
import { verifyActionContext, verifyDialog } from "./signature.js";
import { slashToken, tokenMatches } from "./verify.js";

/** What the bot does with each verified request; each resolves with the JSON answer. */
export interface IntegrationHandlers {
  outgoingWebhook(payload: OutgoingWebhookPayload): Promise<object>;
  slash(payload: SlashCommandPayload): Promise<object>;
  action(
    actionId: string,
    payload: ActionClickPayload,
    data: Record<string, unknown>,
  ): Promise<object>;
  dialog(payload: DialogSubmissionPayload): Promise<object>;
}

export interface IntegrationEndpointOptions {
  tokens: { outgoingWebhook?: string[]; slash?: string[] };
  /** Key of the signatures on buttons, menus and dialogs; without it those routes refuse everything. */
  actionSecret?: string;
  /** Largest accepted body (default 64 KiB). */
  bodyLimitBytes?: number;
  logger: Logger;
  handlers: IntegrationHandlers;
  now?: () => number;
  /** Where a refusal says the tokens are set (a service names its own configuration keys). */
  tokenHints?: { outgoingWebhook: string; slash: string };
}

const DEFAULT_TOKEN_HINTS = {
  outgoingWebhook: "the HTTP source's tokens.outgoingWebhook",
  slash: "the HTTP source's tokens.slash",
};

/** A request as any server or framework can hand it over. */
export interface PlainRequest {
  method: string;
  /** Relative to where the receiver is mounted, without the query: `/slash`. */
  path: string;
  /** The raw query string without `?` (`""` when none). */
  query: string;
  /** Lower-case names, as node:http and `Headers` give them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Uint8Array | string;
  /** The caller's address, for the log. */
  remote?: string;
}

export interface PlainResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** A request turned away: the status and the one-line reason sent as `{error}`. */
class Refusal {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 415,
    readonly reason: string,
  ) {}
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

export class IntegrationEndpoint {
  readonly bodyLimitBytes: number;

  constructor(private readonly options: IntegrationEndpointOptions) {
    this.bodyLimitBytes = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  }

  /** Answers one request; never rejects (an unforeseen failure is a 200 with a reference, logged). */
  async handle(request: PlainRequest): Promise<PlainResponse> {
    try {
      const answer = await this.route(request);
      if (answer instanceof Refusal) return this.refuse(request, answer);
      return { status: 200, headers: { ...JSON_HEADERS }, body: JSON.stringify(answer) };
    } catch (error) {
      return this.failure(request, error);
    }
  }

  /** The answer to a failure nobody foresaw: logged with a reference the user is shown (Mattermost shows no 5xx body). */
  failure(request: Omit<PlainRequest, "body">, error: unknown): PlainResponse {
    const ref = randomBytes(4).toString("hex");
    this.options.logger.error(
      { err: error, ref, method: request.method, route: request.path },
      "http: unexpected failure",
    );
    const text = `Sorry, something went wrong (ref ${ref}).`;
    return {
      status: 200,
      headers: { ...JSON_HEADERS },
      body: JSON.stringify({ response_type: "ephemeral", text, ephemeral_text: text }),
    };
  }

  /** The answer to a request turned away before it reached `handle` (by an adapter: a body over the limit). */
  refusal(
    request: Omit<PlainRequest, "body">,
    status: Refusal["status"],
    reason: string,
  ): PlainResponse {
    return this.refuse(request, new Refusal(status, reason));
  }

  private async route(request: PlainRequest): Promise<object | Refusal> {
    const route = matchRoute(request.method, request.path);
    if (!route) return new Refusal(404, `no such route: ${request.method} ${request.path}`);
    if (route.name === "healthz") return { status: "ok" };
    if (byteLength(request.body) > this.bodyLimitBytes)
      return new Refusal(413, "the body is too large");
    switch (route.name) {
      case "outgoingWebhook":
        return this.outgoingWebhook(request);
      case "slash":
        return this.slash(request);
      case "action":
        return this.action(request, route.actionId);
      case "dialogs":
        return this.dialog(request);
    }
  }

  private async outgoingWebhook(request: PlainRequest): Promise<object | Refusal> {
    const body = readFields(request, [FORM, JSON_TYPE]);
    if (body instanceof Refusal) return body;
    const tokenRefusal = checkToken(
      this.options.tokens.outgoingWebhook,
      (body.value as Record<string, unknown> | undefined)?.token,
      "outgoing webhook",
      (this.options.tokenHints ?? DEFAULT_TOKEN_HINTS).outgoingWebhook,
    );
    if (tokenRefusal) return tokenRefusal;
    const parsed = parseOutgoingWebhook(body.value, body.type === FORM ? "form" : "json");
    if (!parsed.ok) return new Refusal(400, `malformed outgoing webhook: ${parsed.reason}`);
    return this.options.handlers.outgoingWebhook(parsed.value);
  }

  private async slash(request: PlainRequest): Promise<object | Refusal> {
    let fields: unknown;
    if (request.method === "POST") {
      const body = readFields(request, [FORM, JSON_TYPE]);
      if (body instanceof Refusal) return body;
      fields = body.value;
    } else fields = parseForm(request.query);
    const record = ((typeof fields === "object" && fields) || {}) as Record<string, unknown>;
    const given = slashToken(header(request, "authorization"), record.token);
    const tokenRefusal = checkToken(
      this.options.tokens.slash,
      given,
      "slash command",
      (this.options.tokenHints ?? DEFAULT_TOKEN_HINTS).slash,
    );
    if (tokenRefusal) return tokenRefusal;
    const parsed = parseSlashCommand(record);
    if (!parsed.ok) return new Refusal(400, `malformed slash command: ${parsed.reason}`);
    return this.options.handlers.slash(parsed.value);
  }

  private async action(request: PlainRequest, actionId: string): Promise<object | Refusal> {
    const body = readFields(request, [JSON_TYPE]);
    if (body instanceof Refusal) return body;
    const secret = this.options.actionSecret;
    if (!secret)
      return new Refusal(
        403,
        "buttons and menus are not enabled: the receiver has no action secret",
      );
    const parsed = parseActionClick(body.value);
    if (!parsed.ok) return new Refusal(400, `malformed action click: ${parsed.reason}`);
    const click = parsed.value;
    const check = verifyActionContext(secret, {
      actionId,
      channelId: click.channel_id,
      context: click.context,
      nowMs: this.now(),
    });
    if (!check.ok) {
      const why = {
        missing: "has no signature",
        malformed: "has a malformed signature",
        expired: "has expired",
        wrong: "has a wrong signature (forged, changed, or for another action or channel)",
      }[check.failure];
      return new Refusal(403, `action ${actionId} ${why}`);
    }
    return this.options.handlers.action(actionId, click, check.data);
  }

  private async dialog(request: PlainRequest): Promise<object | Refusal> {
    const body = readFields(request, [JSON_TYPE]);
    if (body instanceof Refusal) return body;
    const secret = this.options.actionSecret;
    if (!secret)
      return new Refusal(403, "dialogs are not enabled: the receiver has no action secret");
    const parsed = parseDialogSubmission(body.value);
    if (!parsed.ok) return new Refusal(400, `malformed dialog submission: ${parsed.reason}`);
    const submission = parsed.value;
    const check = verifyDialog(secret, {
      callbackId: submission.callback_id,
      channelId: submission.channel_id,
      userId: submission.user_id,
      query: parseForm(request.query),
      nowMs: this.now(),
    });
    if (!check.ok)
      return new Refusal(
        403,
        `dialog ${submission.callback_id} submission ${check.failure === "missing" ? "has no signature" : `signature is ${check.failure}`}`,
      );
    // Mattermost sends cancellations only when asked; the signed URL says whether this dialog asked.
    if (submission.cancelled && !check.notifyOnCancel) return {};
    return this.options.handlers.dialog(submission);
  }

  private refuse(request: Omit<PlainRequest, "body">, refusal: Refusal): PlainResponse {
    // the path, never the query: a GET slash command carries its token there
    this.options.logger.warn(
      {
        method: request.method,
        route: request.path,
        status: refusal.status,
        reason: refusal.reason,
        remote: request.remote,
      },
      `http: refused: ${refusal.reason}`,
    );
    return {
      status: refusal.status,
      headers: { ...JSON_HEADERS },
      body: JSON.stringify({ error: refusal.reason }),
    };
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** The body as fields of one of the `accepted` media types, or why not (415, 400). */
function readFields(
  request: PlainRequest,
  accepted: readonly string[],
): { type: string; value: unknown } | Refusal {
  const type = mediaTypeOf(header(request, "content-type"));
  if (!accepted.includes(type))
    return new Refusal(
      415,
      `unsupported content type ${type || "none"}: expected ${accepted.join(" or ")}`,
    );
  const text =
    typeof request.body === "string"
      ? request.body
      : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString(
          "utf8",
        );
  if (type === FORM) return { type, value: parseForm(text) };
  const json = parseJsonBody(text);
  return json.ok ? { type, value: json.value } : new Refusal(400, json.reason);
}

function checkToken(
  allowed: string[] | undefined,
  given: unknown,
  what: string,
  key: string,
): Refusal | undefined {
  if (!allowed?.length) return new Refusal(401, `${what}s are not enabled: set ${key}`);
  if (typeof given !== "string" || given === "") return new Refusal(401, `missing ${what} token`);
  if (!tokenMatches(given, allowed)) return new Refusal(401, `wrong ${what} token`);
  return undefined;
}

function header(request: PlainRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function byteLength(body: Uint8Array | string): number {
  return typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength;
}
