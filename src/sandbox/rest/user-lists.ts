/**
 * User listings: `GET /users` with its filters, `POST /users/ids`, `POST /users/usernames`. Like
 * the server, every listed user is sanitised as a profile, the caller included: no notify_props,
 * no last_password_update; email and full name stay (the default privacy settings show them).
 */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail, invalidBodyParam, invalidUrlParam } from "../errors.js";
import { route, type Call } from "../http.js";
import { stringList } from "./body.js";
import type { Services } from "../services.js";
import { userWire, type UserRecord } from "../wire.js";
import type { World } from "../world.js";

// the server's paging (web/params.go): defaults, and per_page capped rather than refused
const PER_PAGE_DEFAULT = 60;
const PER_PAGE_MAXIMUM = 200;

export function userListRoutes(app: FastifyInstance, { world, hub }: Services): void {
  route(app, world, "GET", "/users", (call) => {
    const users = filtered(world, call, (id) => hub.isOnline(id));
    const { page, perPage } = paging(call);
    return { body: users.slice(page * perPage, (page + 1) * perPage).map(profile) };
  });

  route(app, world, "POST", "/users/ids", (call) => {
    const ids = stringList(call, "user_ids");
    const since = call.query.since;
    if (since !== undefined && !/^-?\d+$/.test(since)) fail(invalidBodyParam("since"));
    const users = unique(ids).flatMap((id) => {
      const user = world.users.get(id);
      return user && (since === undefined || user.update_at > Number(since)) ? [user] : [];
    });
    return { body: users.map(profile) };
  });

  route(app, world, "POST", "/users/usernames", (call) => {
    const names = stringList(call, "usernames");
    const users = unique(names).flatMap((name) => world.userByName(name) ?? []);
    return { body: users.map(profile) };
  });
}

/** A user as listed to anybody: the server's `SanitizeProfile`. */
const profile = (user: UserRecord) => userWire(user, false);

/** The users the query selects, by username as the server's store orders them; 403 where the caller may not look. */
function filtered(world: World, call: Call, isOnline: (userId: string) => boolean): UserRecord[] {
  const q = call.query;
  const viewer = call.userId;
  const sort = q.sort ?? "";
  if (q.not_in_channel && !q.in_team) fail(invalidUrlParam("team_id"));
  if (!["", "last_activity_at", "create_at", "status"].includes(sort))
    fail(invalidUrlParam("sort"));
  if (
    (sort === "last_activity_at" || sort === "create_at") &&
    (!q.in_team || q.not_in_team || q.in_channel || q.not_in_channel)
  )
    fail(invalidUrlParam("sort"));
  if (sort === "status" && !q.in_channel) fail(invalidUrlParam("sort"));
  const canViewTeam = (teamId: string) =>
    world.isTeamMember(teamId, viewer) || world.isAdmin(viewer);
  const canReadChannel = (channelId: string) => {
    const channel = world.channels.get(channelId);
    return channel !== undefined && world.canRead(viewer, channel);
  };
  const tests: Array<(u: UserRecord) => boolean> = [];
  if (q.without_team === "true") {
    if (!world.isAdmin(viewer)) fail(ERRORS.permissions);
    tests.push((u) => world.teamsOf(u.id).length === 0);
  }
  if (q.in_team) {
    if (!canViewTeam(q.in_team)) fail(ERRORS.permissions);
    tests.push((u) => world.isTeamMember(q.in_team!, u.id));
  }
  if (q.not_in_team) {
    if (!canViewTeam(q.not_in_team)) fail(ERRORS.permissions);
    tests.push((u) => !world.isTeamMember(q.not_in_team!, u.id));
  }
  if (q.in_channel) {
    if (!canReadChannel(q.in_channel)) fail(ERRORS.permissions);
    tests.push((u) => world.member(q.in_channel!, u.id) !== undefined);
  }
  if (q.not_in_channel) {
    if (!canReadChannel(q.not_in_channel)) fail(ERRORS.permissions);
    tests.push((u) => world.member(q.not_in_channel!, u.id) === undefined);
  }
  const users = [...world.users.values()].filter((u) => tests.every((test) => test(u)));
  if (sort === "create_at") return users.sort((a, b) => b.create_at - a.create_at);
  users.sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0));
  // sort=status: online users first, each group by username (the sandbox knows online and offline only)
  if (sort === "status") users.sort((a, b) => Number(isOnline(b.id)) - Number(isOnline(a.id)));
  return users;
}

/** `page` and `per_page` read as the server does: a bad value is the default, a large one the maximum. */
function paging(call: Call): { page: number; perPage: number } {
  const number = (raw: string | undefined) =>
    raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
  const page = number(call.query.page) ?? 0;
  const perPage = Math.min(number(call.query.per_page) ?? PER_PAGE_DEFAULT, PER_PAGE_MAXIMUM);
  return { page, perPage };
}

const unique = (values: string[]): string[] => [...new Set(values)];
