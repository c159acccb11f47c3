/** Teams by id or name, and a team's channel by name. */
import type { FastifyInstance } from "fastify";
import type { Team } from "../../mattermost/types.js";
import { ERRORS, fail } from "../errors.js";
import { route } from "../http.js";
import type { Services } from "../services.js";
import { channelWire } from "../wire.js";
import { idParam } from "./params.js";

export function teamRoutes(app: FastifyInstance, { world }: Services): void {
  const visible = (userId: string, team: Team | undefined, missing = ERRORS.teamMissing): Team => {
    if (!team) fail(missing);
    if (!world.isTeamMember(team.id, userId) && !world.isAdmin(userId)) fail(ERRORS.permissions);
    return team;
  };

  route(app, world, "GET", "/teams/:team_id", (call) => {
    const userId = call.userId;
    return { body: visible(userId, world.teams.get(idParam(call, "team_id"))) };
  });

  route(app, world, "GET", "/teams/name/:name", (call) => {
    const userId = call.userId;
    return { body: visible(userId, world.teamByName(call.params.name ?? ""), ERRORS.teamNameMissing) };
  });

  const channelByName = (userId: string, team: Team, name: string) => {
    const channel = world.channelByName(team.id, name);
    if (!channel) fail(ERRORS.channelNameMissing);
    if (!world.canRead(userId, channel)) fail(ERRORS.permissions);
    return { body: channelWire(channel) };
  };

  route(app, world, "GET", "/teams/name/:team_name/channels/name/:channel_name", (call) => {
    const userId = call.userId;
    const team = visible(userId, world.teamByName(call.params.team_name ?? ""), ERRORS.teamNameMissing);
    return channelByName(userId, team, call.params.channel_name ?? "");
  });

  route(app, world, "GET", "/teams/:team_id/channels/name/:channel_name", (call) => {
    const userId = call.userId;
    const team = visible(userId, world.teams.get(idParam(call, "team_id")));
    return channelByName(userId, team, call.params.channel_name ?? "");
  });
}
