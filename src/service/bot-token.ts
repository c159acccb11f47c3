/**
 * The service's words about the bot's token: the fix when it is refused (the same in `mmbot
 * start`'s log and `mmbot doctor`), and when it expires, as far as the server tells.
 */
import type { MattermostClient } from "../mattermost/rest.js";

/** What to do about a refused token, naming the configuration key. */
export const SERVICE_TOKEN_FIX =
  "set mattermost.bot_token (env MATTERMOST_BOT_TOKEN) to the bot's access token; tokens revoked in the System Console, or past their expiry, stop working";

/** What to do when the server cannot be reached at start, naming the configuration key. */
export const SERVICE_UNREACHABLE_FIX =
  "check mattermost.url (env MATTERMOST_URL), or run `mmbot doctor`";

/** A session made from a token never expires sooner than this when the token has no expiry (model.SessionUserAccessTokenExpiryHours, 100 years). */
const NO_EXPIRY_AFTER_MS = 99 * 365 * 24 * 3_600_000;

export type TokenExpiry =
  | { known: true; expiresAt: number | undefined }
  | { known: false; why: string };

/**
 * When the bot's token expires (`expiresAt` undefined: never), read from its own sessions.
 * The token's record (`GET /users/tokens/{id}`, with `expires_at`) needs the
 * read_user_access_token permission, which a bot lacks, and its id; but a token's session is
 * the user's own to read (`GET /users/{id}/sessions`) and its `expires_at` is clamped to the
 * token's (server/channels/app/session.go createSessionForUserAccessToken;
 * server/public/model/user_access_token.go, session.go; server/channels/api4/user.go getSessions).
 * The server does not say which session is this token's: with several tokens in use, only an
 * expiry they all share is known.
 */
export async function tokenExpiry(client: MattermostClient, userId: string): Promise<TokenExpiry> {
  let sessions: unknown;
  try {
    sessions = await client.request<unknown>(
      "GET",
      `/users/${encodeURIComponent(userId)}/sessions`,
    );
  } catch (error) {
    return {
      known: false,
      why: `the server does not list the bot's sessions (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  const ofTokens = (Array.isArray(sessions) ? sessions : []).filter(isTokenSession);
  if (ofTokens.length === 0)
    return { known: false, why: "the server lists no session made from a token" };
  const expiries = new Set(
    ofTokens.map((s) =>
      s.expires_at > 0 && s.expires_at - s.create_at < NO_EXPIRY_AFTER_MS
        ? s.expires_at
        : undefined,
    ),
  );
  if (expiries.size > 1)
    return {
      known: false,
      why: `the bot has ${ofTokens.length} tokens in use with different expiries, and the server does not say which one this is`,
    };
  return { known: true, expiresAt: [...expiries][0] };
}

interface TokenSession {
  create_at: number;
  expires_at: number;
}

function isTokenSession(value: unknown): value is TokenSession {
  if (typeof value !== "object" || value === null) return false;
  const session = value as {
    props?: { type?: unknown };
    create_at?: unknown;
    expires_at?: unknown;
  };
  return (
    session.props?.type === "UserAccessToken" &&
    typeof session.create_at === "number" &&
    typeof session.expires_at === "number"
  );
}
