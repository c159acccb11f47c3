/**
 * A user's sessions and revoking an access token, as the server answers them
 * (server/channels/api4/user.go getSessions and revokeUserAccessToken). A personal access token
 * makes a session on its first use whose `expires_at` is the token's own expiry, or 100 years on
 * when it has none (server/channels/app/session.go createSessionForUserAccessToken;
 * model.SessionUserAccessTokenExpiryHours); sanitised, it carries no token.
 */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail } from "../errors.js";
import { objectBody, route, stringField } from "../http.js";
import type { Services } from "../services.js";
import type { TokenRecord } from "../world.js";
import { idParam } from "./params.js";

const HUNDRED_YEARS_MS = 100 * 365 * 24 * 3_600_000;

export function sessionRoutes(app: FastifyInstance, { world }: Services): void {
  route(app, world, "GET", "/users/:user_id/sessions", (call) => {
    const userId = idParam(call, "user_id", true);
    if (userId !== call.userId && !world.isAdmin(call.userId)) fail(ERRORS.permissions);
    const user = world.users.get(userId);
    const sessions = world
      .tokensOf(userId)
      .filter((r): r is TokenRecord & { usedAt: number } => r.usedAt !== undefined);
    return {
      body: sessions.map((r) => ({
        id: r.id,
        token: "",
        create_at: r.usedAt,
        expires_at:
          r.kind === "access"
            ? r.expiresAt || r.usedAt + HUNDRED_YEARS_MS
            : r.usedAt + 30 * 24 * 3_600_000,
        last_activity_at: r.usedAt,
        user_id: userId,
        device_id: "",
        roles: user?.roles ?? "",
        is_oauth: false,
        expired_notify: false,
        props:
          r.kind === "access"
            ? {
                type: "UserAccessToken",
                user_access_token_id: r.id,
                is_bot: user?.is_bot ? "true" : "",
                is_guest: "false",
              }
            : {},
        team_members: [],
        local: false,
      })),
    };
  });

  route(app, world, "POST", "/users/tokens/revoke", (call) => {
    const tokenId = stringField(objectBody(call, "token_id"), "token_id");
    // revoke_user_access_token is the System Admin role's (and system_user_access_token's) only
    if (!world.isAdmin(call.userId)) fail(ERRORS.permissions);
    if (!world.revokeToken(tokenId)) fail(ERRORS.tokenMissing);
    return { body: { status: "OK" } };
  });
}
