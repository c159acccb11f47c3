/**
 * mmbot's error classes, one per failure plane (after grammY): the server refused
 * (`MattermostApiError`), the network or socket failed (`TransportError`), a handler threw
 * (`HandlerError`), the configuration is wrong (`ConfigError`). All carry a stable `code`.
 */
import type { ApiErrorBody } from "./mattermost/types.js";

export class MmbotError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The Mattermost server answered with a non-2xx status. */
export class MattermostApiError extends MmbotError {
  readonly status: number;
  /** The server's error id, e.g. `api.context.session_expired.app_error`. */
  readonly serverErrorId: string;
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly body: Partial<ApiErrorBody> | string | undefined;
  constructor(init: {
    status: number;
    method: string;
    path: string;
    body?: Partial<ApiErrorBody> | string;
    requestId?: string;
    cause?: unknown;
  }) {
    const body = init.body;
    const serverMessage =
      typeof body === "object" && body?.message
        ? body.message
        : typeof body === "string"
          ? body
          : "";
    super(
      "MATTERMOST_API",
      `${init.method} ${init.path} → ${init.status}${serverMessage ? `: ${serverMessage}` : ""}`,
      { cause: init.cause },
    );
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.body = body;
    this.serverErrorId = typeof body === "object" && body?.id ? body.id : "";
    this.requestId = (typeof body === "object" && body?.request_id) || init.requestId || "";
  }
}

/**
 * The server refused the bot's token (HTTP 401 on a REST call): it is wrong, expired or revoked.
 * Mattermost answers all three alike (`api.context.session_expired.app_error`), so the message
 * cannot say which.
 */
export class TokenRefusedError extends MmbotError {
  readonly status: number;
  /** `fix`: what to do, as the caller words it. */
  constructor(cause: MattermostApiError, fix?: string) {
    super(
      "TOKEN_REFUSED",
      `the token was refused (expired or revoked?): ${cause.message.replace(/\.$/, "")}${fix ? `. Fix: ${fix}` : ""}`,
      { cause },
    );
    this.status = cause.status;
  }
}

/** A REST answer that says the token itself is refused (403 is a missing permission, not this). */
export function isTokenRefusal(error: unknown): error is MattermostApiError {
  return error instanceof MattermostApiError && error.status === 401;
}

/** The request or the socket failed before the server could answer. */
export class TransportError extends MmbotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TRANSPORT", message, options);
  }
}

/** A handler threw; carries the reference id shown to the user. */
export class HandlerError extends MmbotError {
  readonly reference: string;
  readonly event: string;
  constructor(reference: string, event: string, cause: unknown) {
    super("HANDLER", `handler for ${event} failed (ref ${reference})`, { cause });
    this.reference = reference;
    this.event = event;
  }
}

/** The configuration is invalid; the message names the key, the value and the fix. */
export class ConfigError extends MmbotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONFIG", message, options);
  }
}

/**
 * A package mmbot loads only for what uses it (pg for a PostgreSQL store, prom-client for
 * metrics: optional peer dependencies) was needed and is not installed.
 */
export class MissingPackageError extends MmbotError {
  readonly packageName: string;
  constructor(packageName: string, neededFor: string, options?: { cause?: unknown }) {
    super(
      "MISSING_PACKAGE",
      `${neededFor} needs the package ${packageName}, which is not installed: run npm install ${packageName}`,
      options,
    );
    this.packageName = packageName;
  }
}

/**
 * Loads an optional peer dependency (`load` is its dynamic `import()`); its absence becomes a
 * MissingPackageError naming it and what needed it. Any other failure is rethrown unchanged.
 */
export async function importOptional<T>(
  packageName: string,
  neededFor: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing =
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
      String((error as Error).message).includes(`'${packageName}'`);
    if (missing) throw new MissingPackageError(packageName, neededFor, { cause: error });
    throw error;
  }
}
