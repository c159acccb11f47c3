/** Users: login, reading one user and its picture, their teams and channels, typing, removing reactions. */
import type { FastifyInstance } from "fastify";
import { defaultAvatar } from "../avatar.js";
import { ERRORS, fail } from "../errors.js";
import { objectBody, route, stringField } from "../http.js";
import type { Services } from "../services.js";
import { byDisplayName, channelWire, userWire } from "../wire.js";
import { idParam } from "./params.js";

export function userRoutes(app: FastifyInstance, { world, posting }: Services): void {
  route(
    app,
    world,
    "POST",
    "/users/login",
    (call) => {
      const body = objectBody(call, "login_id");
      const loginId = stringField(body, "login_id", true);
      const password = stringField(body, "password", true);
      const user =
        world.userByName(loginId) ??
        [...world.users.values()].find((u) => u.email === loginId.toLowerCase());
      if (!user || user.is_bot || user.password !== password) fail(ERRORS.loginInvalid);
      return {
        body: userWire(user, true),
        headers: { Token: world.issueToken(user.id, { kind: "login" }) },
      };
    },
    { public: true },
  );

  route(app, world, "GET", "/users/:user_id", (call) => {
    const id = idParam(call, "user_id", true);
    const viewer = call.userId;
    const user = world.users.get(id);
    if (!user) fail(ERRORS.userMissing);
    return { body: userWire(user, user.id === viewer) };
  });

  route(app, world, "GET", "/users/username/:username", (call) => {
    const viewer = call.userId;
    const user = world.userByName(call.params.username ?? "");
    if (!user) fail(ERRORS.usernameMissing);
    return { body: userWire(user, user.id === viewer) };
  });

  route(app, world, "GET", "/users/:user_id/image", (call) => {
    const id = idParam(call, "user_id", true);
    if (!world.users.has(id)) fail(ERRORS.userMissing);
    return {
      bytes: { data: defaultAvatar(id), contentType: "image/png" },
      headers: { "Cache-Control": "max-age=86400, private" },
    };
  });

  route(app, world, "GET", "/users/:user_id/teams", (call) => {
    const id = idParam(call, "user_id", true);
    if (id !== call.userId && !world.isAdmin(call.userId)) fail(ERRORS.permissions);
    return { body: world.teamsOf(id) };
  });

  route(app, world, "GET", "/users/:user_id/teams/:team_id/channels", (call) => {
    const id = idParam(call, "user_id", true);
    const teamId = idParam(call, "team_id");
    if (id !== call.userId && !world.isAdmin(call.userId)) fail(ERRORS.permissions);
    if (!world.isTeamMember(teamId, id)) fail(ERRORS.permissions);
    // like the server: the team's channels and the user's direct and group channels
    const channels = world.channelsOf(id).filter((c) => c.team_id === teamId || c.team_id === "");
    return { body: byDisplayName(channels).map(channelWire) };
  });

  route(app, world, "POST", "/users/:user_id/typing", (call) => {
    const id = idParam(call, "user_id", true);
    if (id !== call.userId) fail(ERRORS.permissions);
    const body = objectBody(call, "typing");
    const channelId = stringField(body, "channel_id");
    posting.typing(id, channelId, stringField(body, "parent_id", true));
    return { body: { status: "OK" } };
  });

  route(app, world, "DELETE", "/users/:user_id/posts/:post_id/reactions/:emoji_name", (call) => {
    const id = idParam(call, "user_id", true);
    const postId = idParam(call, "post_id");
    if (id !== call.userId) fail(ERRORS.permissions);
    posting.unreact(id, postId, call.params.emoji_name ?? "");
    return { body: { status: "OK" } };
  });
}
