/** Channel changes that the server announces: creating, joining, leaving, opening a DM. */
import { createHash } from "node:crypto";
import type { Channel } from "../mattermost/types.js";
import { ERRORS, fail } from "./errors.js";
import type { Posting } from "./posting.js";
import { channelWire, type ChannelRecord } from "./wire.js";
import { target, type Broadcaster, type World } from "./world.js";

export class Channels {
  constructor(
    private readonly world: World,
    private readonly posting: Posting,
    private readonly events: Broadcaster,
  ) {}

  /** Creates a team channel; its creator (when given) becomes its first member. */
  create(
    input: { team_id: string; name: string; display_name?: string; type?: "O" | "P" },
    creatorId = "",
  ): Channel {
    if (!this.world.teams.has(input.team_id)) fail(ERRORS.teamMissing);
    if (!/^[a-z0-9][a-z0-9_-]{1,63}$/.test(input.name ?? "")) fail(ERRORS.channelName);
    if (this.world.channelByName(input.team_id, input.name)) fail(ERRORS.channelExists);
    const channel = this.world.insertChannel({
      team_id: input.team_id,
      type: input.type ?? "O",
      name: input.name,
      display_name: input.display_name ?? input.name,
      creator_id: creatorId,
    });
    const creator = this.world.users.get(creatorId);
    if (creator) {
      // as the server: the creator joins with a `system_join_channel` post, then hears `channel_created`
      this.world.join(channel.id, creator.id);
      this.posting.create(
        creator.id,
        { channel_id: channel.id, message: `${creator.username} joined the channel.` },
        {
          type: "system_join_channel",
          props: { username: creator.username },
        },
      );
      this.events.broadcast({
        event: "channel_created",
        data: { channel_id: channel.id, team_id: channel.team_id },
        broadcast: target({ user_id: creator.id }),
      });
    }
    return channelWire(channel);
  }

  /**
   * Adds a member, announced like the server does: `user_added` to the channel, then a system
   * post (`system_add_to_channel` by `actorId`, or `system_join_channel` when users join alone).
   */
  add(channelId: string, userId: string, actorId = userId): void {
    const channel = this.world.channels.get(channelId);
    const user = this.world.users.get(userId);
    if (!channel) fail(ERRORS.channelMissing);
    if (!user) fail(ERRORS.userMissing);
    if (channel.team_id && !this.world.isTeamMember(channel.team_id, userId))
      this.world.addToTeam(channel.team_id, userId);
    if (!this.world.join(channelId, userId)) return;
    this.events.broadcast({
      event: "user_added",
      data: { team_id: channel.team_id, user_id: userId },
      broadcast: target({ channel_id: channelId }),
    });
    const actor = this.world.users.get(actorId) ?? user;
    if (actor.id === user.id) {
      this.posting.create(
        user.id,
        { channel_id: channelId, message: `${user.username} joined the channel.` },
        {
          type: "system_join_channel",
          props: { username: user.username },
        },
      );
    } else {
      this.posting.create(
        actor.id,
        {
          channel_id: channelId,
          message: `${user.username} added to the channel by ${actor.username}.`,
        },
        {
          type: "system_add_to_channel",
          props: {
            addedUserId: user.id,
            addedUsername: user.username,
            userId: actor.id,
            username: actor.username,
          },
        },
      );
    }
  }

  /**
   * Removes a member, announced as the server does: `user_removed` to the channel's members, then
   * (now left out) to the removed user with the channel's id, and a system post
   * (`system_remove_from_channel` by `actorId`, or `system_leave_channel` when users leave alone).
   */
  remove(channelId: string, userId: string, actorId = userId): void {
    const channel = this.world.channels.get(channelId);
    const user = this.world.users.get(userId);
    if (!channel) fail(ERRORS.channelMissing);
    if (!user) fail(ERRORS.userMissing);
    if (channel.name === "town-square") fail(ERRORS.removeFromDefaultChannel);
    if (!this.world.leave(channelId, userId)) fail(ERRORS.memberMissing);
    this.events.broadcast({
      event: "user_removed",
      data: { remover_id: actorId, user_id: userId },
      broadcast: target({ channel_id: channelId }),
    });
    this.events.broadcast({
      event: "user_removed",
      data: { channel_id: channelId, remover_id: actorId },
      broadcast: target({ user_id: userId }),
    });
    if (actorId === userId) {
      this.posting.create(
        userId,
        { channel_id: channelId, message: `@${user.username} left the channel.` },
        {
          type: "system_leave_channel",
          props: { username: user.username },
        },
      );
    } else {
      this.posting.create(
        actorId,
        { channel_id: channelId, message: `@${user.username} removed from the channel.` },
        {
          type: "system_remove_from_channel",
          props: { removedUserId: user.id, removedUsername: user.username },
        },
      );
    }
  }

  /** The DM between two users, created (and announced with `direct_added`) on first use. */
  direct(creatorId: string, otherId: string): Channel {
    if (!this.world.users.has(creatorId) || !this.world.users.has(otherId))
      fail(ERRORS.userMissing);
    const name = [creatorId, otherId].sort().join("__");
    const existing = this.world.channelByName("", name);
    if (existing) return channelWire(existing);
    const channel: ChannelRecord = this.world.insertChannel({
      team_id: "",
      type: "D",
      name,
      display_name: "",
      creator_id: creatorId,
    });
    this.world.join(channel.id, creatorId);
    this.world.join(channel.id, otherId);
    this.events.broadcast({
      event: "direct_added",
      data: { creator_id: creatorId, teammate_id: otherId },
      broadcast: target({ channel_id: channel.id }),
    });
    return channelWire(channel);
  }

  /**
   * The group channel of 3 to 8 users, created (and announced with `group_added`) on first use.
   * As the server: named by the SHA-1 of the sorted ids, shown as the sorted usernames.
   */
  group(userIds: string[]): Channel {
    const ids = [...new Set(userIds)].sort();
    if (ids.length < 3 || ids.length > 8) fail(ERRORS.groupSize);
    const users = ids.map((id) => this.world.users.get(id) ?? fail(ERRORS.groupUser));
    const name = createHash("sha1").update(ids.join("")).digest("hex");
    const existing = this.world.channelByName("", name);
    if (existing) return channelWire(existing);
    const displayName = users
      .map((u) => u.username)
      .sort()
      .join(", ");
    const channel = this.world.insertChannel({
      team_id: "",
      type: "G",
      name,
      display_name: displayName,
      creator_id: "",
    });
    for (const id of ids) this.world.join(channel.id, id);
    this.events.broadcast({
      event: "group_added",
      data: { teammate_ids: JSON.stringify(ids) },
      broadcast: target({ channel_id: channel.id }),
    });
    return channelWire(channel);
  }
}
