/**
 * `GET /config/client?format=old`, as the 5.37 server answers it: a map of strings. A session
 * gets the full client config (with the computed `MaxPostSize`); no session, or a token the
 * server does not know, gets the limited one, as the route does not require a session. Without
 * `format` the server answers 501 (the new format was never built), with another format 400.
 * Only the fields a bot or a test reads are here; the real server sends some two hundred.
 */
import type { FastifyInstance } from "fastify";
import { fail, invalidUrlParam, type ErrorSpec } from "../errors.js";
import { route, type Call } from "../http.js";
import type { Services } from "../services.js";

const OLD_FORMAT_ONLY: ErrorSpec = {
  id: "api.config.client.old_format.app_error",
  message: "New format for the client configuration is not supported yet. Please specify format=old in the query string.",
  status: 501,
};

/** The largest upload, as the default config says (100 MB). */
const MAX_FILE_SIZE = 104_857_600;

export function clientConfigRoutes(app: FastifyInstance, { world, posting }: Services): void {
  route(app, world, "GET", "/config/client", (call) => {
    const format = call.query.format ?? "";
    if (format === "") fail(OLD_FORMAT_ONLY);
    if (format !== "old") fail(invalidUrlParam("format"));
    const limited: Record<string, string> = {
      Version: "5.37.0",
      BuildNumber: "sandbox",
      BuildDate: "",
      BuildHash: "sandbox",
      BuildEnterpriseReady: "false",
      SiteName: "Mattermost",
      SiteURL: siteUrl(call),
      EnableSignUpWithEmail: "true",
      EnableSignInWithEmail: "true",
      EnableSignInWithUsername: "true",
      NoAccounts: String(world.users.size === 0),
    };
    if (!hasSession(call)) return { body: limited };
    return {
      body: {
        ...limited,
        MaxPostSize: String(posting.maxPostSize),
        MaxFileSize: String(MAX_FILE_SIZE),
        EnableBotAccountCreation: "true",
        EnablePostUsernameOverride: "true",
        EnablePostIconOverride: "true",
        EnableCustomEmoji: "false",
        EnableFileAttachments: "true",
        ExperimentalEnablePostMetadata: "true",
      },
    };
  }, { public: true });
}

/** A logged-in caller; an unknown token counts as none here (the route does not require a session). */
function hasSession(call: Call): boolean {
  try {
    void call.userId;
    return true;
  } catch {
    return false;
  }
}

/** The sandbox has no configured site URL: the address the caller reached it at. */
function siteUrl(call: Call): string {
  const host = call.headers.host;
  return host ? `http://${host}` : "";
}
