/**
 * What a client loads per team at startup: team memberships, unread counts, and the user's
 * channel memberships in a team (the channels themselves are in users.ts).
 */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail } from "../errors.js";
import { route, type Call } from "../http.js";
import type { Services } from "../services.js";
import { memberWire } from "../wire.js";
import { idParam } from "./params.js";

export function myTeamRoutes(app: FastifyInstance, { world }: Services): void {
  /** The user of the path, when it is the caller or the caller is a system admin. */
  const subject = (call: Call): string => {
    const id = idParam(call, "user_id", true);
    if (id !== call.userId && !world.isAdmin(call.userId)) fail(ERRORS.permissions);
    return id;
  };

  route(app, world, "GET", "/users/:user_id/teams/members", (call) => {
    const id = subject(call);
    return { body: world.teamsOf(id).map((team) => teamMemberWire(team.id, id)) };
  });

  route(app, world, "GET", "/users/:user_id/teams/unread", (call) => {
    const id = subject(call);
    const excluded = call.query.exclude_team ?? "";
    // the sandbox keeps no read marks: a member has read its channels (msg_count = total, see memberWire)
    const unread = world.teamsOf(id).filter((team) => team.id !== excluded);
    return {
      body: unread.map((team) => ({
        team_id: team.id,
        msg_count: 0,
        mention_count: 0,
        mention_count_root: 0,
        msg_count_root: 0,
      })),
    };
  });

  route(app, world, "GET", "/users/:user_id/teams/:team_id/channels/members", (call) => {
    const id = subject(call);
    const teamId = idParam(call, "team_id");
    if (!world.isTeamMember(teamId, id) && !world.isAdmin(call.userId)) fail(ERRORS.permissions);
    const channels = world.channelsOf(id).filter((c) => c.team_id === teamId || c.team_id === "");
    return { body: channels.map((channel) => memberWire(world.member(channel.id, id)!, channel)) };
  });
}

/** `model.TeamMember`: the sandbox's team members all have the default team scheme's user role. */
export function teamMemberWire(teamId: string, userId: string) {
  return {
    team_id: teamId,
    user_id: userId,
    roles: "team_user",
    delete_at: 0,
    scheme_guest: false,
    scheme_user: true,
    scheme_admin: false,
    explicit_roles: "",
  };
}
