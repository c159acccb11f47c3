/** The world file's rows for the people and places (src/sandbox/world.ts). */
import type { Team } from "../../mattermost/types.js";
import type { ChannelRecord, MemberRecord, UserRecord } from "../wire.js";
import type { World } from "../world.js";
import type { Table } from "./table.js";

export function worldTables(world: World): Table[] {
  return [
    {
      kind: "user",
      *rows() {
        for (const user of world.users.values()) yield { id: user.id, data: user };
      },
      load: (rows) => rows.forEach((row) => world.putUser(row.data as UserRecord)),
    },
    {
      kind: "token",
      *rows() {
        for (const [token, userId] of world.tokenEntries()) yield { id: token, data: userId };
      },
      load: (rows) => rows.forEach((row) => world.putToken(row.id, row.data as string)),
    },
    {
      kind: "team",
      *rows() {
        for (const team of world.teams.values()) yield { id: team.id, data: team };
      },
      load: (rows) => rows.forEach((row) => world.putTeam(row.data as Team)),
    },
    {
      kind: "team_member",
      *rows() {
        for (const teamId of world.teams.keys()) {
          for (const userId of world.teamMemberIds(teamId))
            yield { id: `${teamId}/${userId}`, data: { team_id: teamId, user_id: userId } };
        }
      },
      load: (rows) =>
        rows.forEach((row) => {
          const { team_id, user_id } = row.data as { team_id: string; user_id: string };
          world.addToTeam(team_id, user_id);
        }),
    },
    {
      kind: "channel",
      *rows() {
        for (const channel of world.channels.values()) yield { id: channel.id, data: channel };
      },
      load: (rows) => rows.forEach((row) => world.putChannel(row.data as ChannelRecord)),
    },
    {
      kind: "channel_member",
      *rows() {
        for (const channelId of world.channels.keys()) {
          for (const member of world.channelMembers(channelId))
            yield { id: `${channelId}/${member.user_id}`, data: member };
        }
      },
      load: (rows) => rows.forEach((row) => world.putMember(row.data as MemberRecord)),
    },
  ];
}
