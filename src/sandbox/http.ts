/**
 * The HTTP side: fastify with the server's headers on every answer (`X-Request-ID`,
 * `X-Version-Id`), its JSON error bodies, and a tiny route helper that does auth and answers.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Logger } from "pino";
import {
  ERRORS,
  SandboxApiError,
  errorBody,
  fail,
  invalidBodyParam,
  type ErrorSpec,
} from "./errors.js";
import { newId } from "./ids.js";
import type { World } from "./world.js";
import { parseJson } from "./json.js";

const BODY_LIMIT = 64 * 1024 * 1024;
const SANDBOX_5_37_VERSION_ID = "5.37.0.sandbox";
const INVALID = Symbol("invalid JSON");

/** One request as a route handler sees it. */
export interface Call {
  params: Record<string, string>;
  query: Record<string, string | undefined>;
  headers: FastifyRequest["headers"];
  /** The caller (after `Authorization: Bearer`); throws 401 for routes that need one. */
  readonly userId: string;
  /** The caller if the request carries a valid session, else undefined (public routes that answer both). */
  readonly sessionUserId: string | undefined;
  /**
   * What the caller's session is: a bot's token, a person's personal access token, or a password
   * login (model.Session: `IsBotUser`, `IsUserAccessToken`; the first two are integrations').
   */
  readonly sessionKind: "bot" | "access" | "login" | undefined;
  /** The body parsed as JSON; a 400 naming `what` when it is missing or malformed. */
  json(what: string): unknown;
  /** The raw body bytes (multipart uploads). */
  raw(): Buffer;
}

/** What a handler answers: JSON (default status 200), or bytes. */
export interface Answer {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  bytes?: { data: Buffer; contentType: string };
}

/** Integration routes wait for the integration's answer, hence a promise is allowed. */
export type Handler = (call: Call) => Answer | Promise<Answer>;

/**
 * Creates the fastify app with the catch-all body parser, the 404 and the error handler;
 * `versionId` is the `X-Version-Id` of every answer (the version played).
 */
export function createHttpApp(
  logger: Logger,
  versionId = SANDBOX_5_37_VERSION_ID,
): FastifyInstance {
  // ids too long for fastify's router (100 characters by default) reach the routes, which refuse them as the server does (400)
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    genReqId: () => newId(),
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 16 * 1024 },
  });
  app.removeAllContentTypeParsers();
  // the server reads JSON whatever the content type says; multipart stays raw for /files
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));
  app.addHook("onRequest", (request, reply, done) => {
    reply
      .header("X-Request-ID", request.id)
      .header("X-Version-Id", versionId)
      .header("Vary", "Accept-Encoding");
    // the server's API handler marks every GET answer as stale at once
    if (request.method === "GET") reply.header("Expires", "0");
    done();
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    // no route means none of the API handler's work: no request id (header or body), no version, no Vary
    const { id, message, status } = ERRORS.notFoundRoute;
    const detailed = `There doesn't appear to be an api call for the url='${path}'.  Typo? are you missing a team_id or user_id as part of the url?`;
    const body = { id, message, detailed_error: detailed, status_code: status };
    for (const name of ["X-Request-ID", "X-Version-Id", "Vary", "Expires"])
      reply.removeHeader(name);
    void reply.code(404).type("text/plain; charset=utf-8").send(JSON.stringify(body));
  });
  app.setErrorHandler((error: unknown, request, reply) => {
    if (error instanceof SandboxApiError)
      return sendError(reply, request, error.spec, error.detailedError);
    const status = (error as { statusCode?: number }).statusCode;
    if (status === 413) return sendError(reply, request, ERRORS.tooLarge);
    if (status !== undefined && status >= 400 && status < 500)
      return sendError(reply, request, invalidBodyParam("body"));
    logger.error({ err: error, url: request.url }, "sandbox: unexpected error");
    return sendError(reply, request, {
      id: "api.context.unknown.app_error",
      message: "An unexpected error occurred.",
      status: 500,
    });
  });
  return app;
}

function sendError(
  reply: FastifyReply,
  request: FastifyRequest,
  spec: ErrorSpec,
  detailed = "",
): FastifyReply {
  return reply
    .code(spec.status)
    .header("content-type", "application/json")
    .send(Buffer.from(JSON.stringify(errorBody(spec, request.id, detailed))));
}

/** Registers a route whose handler gets a `Call` and returns an `Answer`; 401 first unless `public`. */
export function route(
  app: FastifyInstance,
  world: World,
  method: "GET" | "POST" | "PUT" | "DELETE",
  url: string,
  handler: Handler,
  options: { public?: boolean } = {},
): void {
  app.route({
    method,
    // the server's router takes ids of letters and digits only: `/teams/not-an-id` is no route (404), not a bad id (400)
    url: `/api/v4${url.replace(/:(\w+_id)(?=\/|$)/g, ":$1(^[A-Za-z0-9]+$)")}`,
    handler: async (request, reply) => {
      const call = makeCall(request, world);
      if (!options.public) void call.userId; // the session is checked before anything else, as the server does
      const answer = await handler(call);
      if (answer.headers) reply.headers(answer.headers);
      reply.code(answer.status ?? 200);
      if (answer.bytes) return reply.type(answer.bytes.contentType).send(answer.bytes.data);
      // a Buffer, so that fastify leaves the content type exactly as the server sends it (no charset)
      return reply
        .header("content-type", "application/json")
        .send(Buffer.from(JSON.stringify(answer.body ?? { status: "OK" })));
    },
  });
}

function makeCall(request: FastifyRequest, world: World): Call {
  let userId: string | undefined;
  let parsed: unknown;
  const body = request.body;
  return {
    params: request.params as Record<string, string>,
    query: request.query as Record<string, string | undefined>,
    headers: request.headers,
    get userId() {
      userId ??= this.sessionUserId;
      if (userId === undefined) fail(ERRORS.sessionExpired);
      return userId;
    },
    get sessionUserId() {
      const token = bearer(request);
      return token === undefined ? undefined : world.userIdForToken(token);
    },
    get sessionKind() {
      const token = bearer(request);
      const userId = token === undefined ? undefined : world.userIdForToken(token);
      if (token === undefined || userId === undefined) return undefined;
      if (world.users.get(userId)?.is_bot) return "bot";
      return world.tokenRecord(token)?.kind;
    },
    json(what) {
      if (parsed === undefined) {
        try {
          parsed =
            Buffer.isBuffer(body) && body.length > 0 ? parseJson(body.toString("utf8")) : INVALID;
        } catch {
          parsed = INVALID;
        }
      }
      if (parsed === INVALID || parsed === null) fail(invalidBodyParam(what));
      return parsed;
    },
    raw() {
      return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
    },
  };
}

function bearer(request: FastifyRequest): string | undefined {
  return /^(?:bearer|token)\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
}

/** A JSON object or a 400 naming `what`. */
export function objectBody(call: Call, what: string): Record<string, unknown> {
  const value = call.json(what);
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(invalidBodyParam(what));
  return value as Record<string, unknown>;
}

/** A string field of a body, or a 400 naming it. */
export function stringField(body: Record<string, unknown>, name: string, optional = false): string {
  const value = body[name];
  if (value === undefined && optional) return "";
  if (typeof value !== "string") fail(invalidBodyParam(name));
  return value;
}
