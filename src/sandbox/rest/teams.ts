/** Teams by id or name, and a team's channel by name. */
import type { FastifyInstance } from "fastify";
import type { Team } from "../../mattermost/types.js";
import { ERRORS, fail } from "../errors.js";
import { route } from "../http.js";
import type { Services } from "../services.js";
import { byDisplayName, channelWire } from "../wire.js";
import { teamMemberWire } from "./my-teams.js";
import { idParam, intQuery } from "./params.js";

export function teamRoutes(app: FastifyInstance, { world }: Services): void {
  const visible = (userId: string, team: Team | undefined, missing = ERRORS.teamMissing): Team => {
    if (!team) fail(missing);
    if (!world.isTeamMember(team.id, userId) && !world.isAdmin(userId)) fail(ERRORS.permissions);
    return team;
  };

  // the server lists the teams open to all (`allow_open_invite`, none here) and, to a system admin, every team
  route(app, world, "GET", "/teams", (call) => ({
    body: world.isAdmin(call.userId) ? [...world.teams.values()] : [],
  }));

  route(app, world, "GET", "/teams/:team_id/members", (call) => {
    const team = visible(call.userId, world.teams.get(idParam(call, "team_id")));
    const page = intQuery(call, "page", 0);
    const perPage = Math.min(intQuery(call, "per_page", 60), 200);
    const ids = [...world.teamMemberIds(team.id)]
      .sort()
      .slice(page * perPage, (page + 1) * perPage);
    return { body: ids.map((id) => teamMemberWire(team.id, id)) };
  });

  route(app, world, "GET", "/teams/:team_id/members/:user_id", (call) => {
    const team = visible(call.userId, world.teams.get(idParam(call, "team_id")));
    const userId = idParam(call, "user_id", true);
    if (!world.isTeamMember(team.id, userId)) fail(ERRORS.teamMemberMissing);
    return { body: teamMemberWire(team.id, userId) };
  });

  route(app, world, "GET", "/teams/:team_id/channels", (call) => {
    const team = visible(call.userId, world.teams.get(idParam(call, "team_id")));
    const page = intQuery(call, "page", 0);
    const perPage = Math.min(intQuery(call, "per_page", 60), 200);
    const open = byDisplayName(
      [...world.channels.values()].filter(
        (c) => c.team_id === team.id && c.type === "O" && c.delete_at === 0,
      ),
    );
    return { body: open.slice(page * perPage, (page + 1) * perPage).map(channelWire) };
  });

  route(app, world, "GET", "/teams/:team_id", (call) => {
    const userId = call.userId;
    return { body: visible(userId, world.teams.get(idParam(call, "team_id"))) };
  });

  route(app, world, "GET", "/teams/name/:name", (call) => {
    const userId = call.userId;
    return {
      body: visible(userId, world.teamByName(call.params.name ?? ""), ERRORS.teamNameMissing),
    };
  });

  const channelByName = (userId: string, team: Team, name: string) => {
    const channel = world.channelByName(team.id, name);
    if (!channel) fail(ERRORS.channelNameMissing);
    if (!world.canRead(userId, channel)) fail(ERRORS.permissions);
    return { body: channelWire(channel) };
  };

  route(app, world, "GET", "/teams/name/:team_name/channels/name/:channel_name", (call) => {
    const userId = call.userId;
    const team = visible(
      userId,
      world.teamByName(call.params.team_name ?? ""),
      ERRORS.teamNameMissing,
    );
    return channelByName(userId, team, call.params.channel_name ?? "");
  });

  route(app, world, "GET", "/teams/:team_id/channels/name/:channel_name", (call) => {
    const userId = call.userId;
    const team = visible(userId, world.teams.get(idParam(call, "team_id")));
    return channelByName(userId, team, call.params.channel_name ?? "");
  });
}
