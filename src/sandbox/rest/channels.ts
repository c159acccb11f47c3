/** Channels: read, create, DMs, members, and a channel's posts. */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail, invalidBodyParam } from "../errors.js";
import { objectBody, route, stringField } from "../http.js";
import { channelPosts, postListOf } from "../post-lists.js";
import type { Services } from "../services.js";
import { channelWire, memberWire, type ChannelRecord } from "../wire.js";
import { idParam, intQuery } from "./params.js";

export function channelRoutes(app: FastifyInstance, { world, posting, channels }: Services): void {
  /** A channel the caller may read: the server looks it up first (404 when missing), then checks (403). */
  const readable = (userId: string, channelId: string): ChannelRecord => {
    const channel = world.channels.get(channelId);
    if (!channel) fail(ERRORS.channelMissing);
    if (!world.canRead(userId, channel)) fail(ERRORS.permissions);
    return channel;
  };
  /** A channel the caller acts in (member or admin): its posts and members are 403 to other team members. */
  const joined = (userId: string, channelId: string): ChannelRecord => {
    const channel = world.channels.get(channelId);
    if (!channel || !world.canAct(userId, channel)) fail(ERRORS.permissions);
    return channel;
  };

  route(app, world, "GET", "/channels/:channel_id", (call) => ({
    body: channelWire(readable(call.userId, idParam(call, "channel_id"))),
  }));

  route(app, world, "POST", "/channels", (call) => {
    const body = objectBody(call, "channel");
    // no team is no permission on the server (it checks the team "" before anything else)
    const teamId = body.team_id === undefined ? "" : stringField(body, "team_id");
    if (!world.isTeamMember(teamId, call.userId) && !world.isAdmin(call.userId))
      fail(ERRORS.permissions);
    const type =
      body.type === "P"
        ? "P"
        : body.type === undefined || body.type === "O"
          ? "O"
          : fail(invalidBodyParam("type"));
    const channel = channels.create(
      {
        team_id: teamId,
        name: stringField(body, "name"),
        display_name: stringField(body, "display_name", true) || undefined,
        type,
      },
      call.userId,
    );
    return { status: 201, body: channel };
  });

  route(app, world, "POST", "/channels/direct", (call) => {
    const ids = call.json("user_ids");
    if (!Array.isArray(ids) || ids.length !== 2 || !ids.every((id) => typeof id === "string"))
      fail(invalidBodyParam("user_ids"));
    const [a, b] = ids as [string, string];
    if (a !== call.userId && b !== call.userId && !world.isAdmin(call.userId))
      fail(ERRORS.permissions);
    const other = a === call.userId ? b : a;
    const creator = a === call.userId || b === call.userId ? call.userId : a;
    if (!world.users.has(other)) fail(ERRORS.directUser);
    return { status: 201, body: channels.direct(creator, other) };
  });

  route(app, world, "POST", "/channels/group", (call) => {
    const ids = call.json("user_ids");
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === "string"))
      fail(invalidBodyParam("user_ids"));
    // the caller is added when not named, as the server does
    const members = ids.includes(call.userId)
      ? (ids as string[])
      : [...(ids as string[]), call.userId];
    return { status: 201, body: channels.group(members) };
  });

  route(app, world, "GET", "/channels/:channel_id/stats", (call) => {
    const channel = joined(call.userId, idParam(call, "channel_id"));
    const pinned = posting.pinned(channel.id).length;
    return {
      body: {
        channel_id: channel.id,
        member_count: world.channelMembers(channel.id).length,
        guest_count: 0,
        pinnedpost_count: pinned,
      },
    };
  });

  route(app, world, "GET", "/channels/:channel_id/pinned", (call) => {
    const channel = readable(call.userId, idParam(call, "channel_id"));
    return { body: postListOf(posting, posting.pinned(channel.id)) };
  });

  route(app, world, "GET", "/channels/:channel_id/members", (call) => {
    const channel = joined(call.userId, idParam(call, "channel_id"));
    const page = intQuery(call, "page", 0);
    const perPage = Math.min(intQuery(call, "per_page", 60), 200);
    const members = world.channelMembers(channel.id).slice(page * perPage, (page + 1) * perPage);
    return { body: members.map((m) => memberWire(m, channel)) };
  });

  route(app, world, "GET", "/channels/:channel_id/members/:user_id", (call) => {
    const channel = joined(call.userId, idParam(call, "channel_id"));
    const member = world.member(channel.id, idParam(call, "user_id", true));
    if (!member) fail(ERRORS.memberMissing);
    return { body: memberWire(member, channel) };
  });

  route(app, world, "POST", "/channels/:channel_id/members", (call) => {
    const channel = readable(call.userId, idParam(call, "channel_id"));
    const body = objectBody(call, "user_id");
    const userId = stringField(body, "user_id");
    if (channel.type === "D" || channel.type === "G") fail(ERRORS.permissions);
    if (
      channel.type === "P" &&
      !world.member(channel.id, call.userId) &&
      !world.isAdmin(call.userId)
    )
      fail(ERRORS.permissions);
    if (!world.users.has(userId)) fail(ERRORS.userMissing);
    channels.add(channel.id, userId, call.userId);
    return { status: 201, body: memberWire(world.member(channel.id, userId)!, channel) };
  });

  route(app, world, "DELETE", "/channels/:channel_id/members/:user_id", (call) => {
    const channel = readable(call.userId, idParam(call, "channel_id"));
    const userId = idParam(call, "user_id");
    if (channel.type === "D" || channel.type === "G") fail(ERRORS.permissions);
    // leaving is always allowed; removing someone else takes membership (any member of an open channel may)
    if (
      userId !== call.userId &&
      !world.member(channel.id, call.userId) &&
      !world.isAdmin(call.userId)
    )
      fail(ERRORS.permissions);
    channels.remove(channel.id, userId, call.userId);
    return { body: { status: "OK" } };
  });

  route(app, world, "GET", "/channels/:channel_id/posts", (call) => {
    const channel = joined(call.userId, idParam(call, "channel_id"));
    const since = call.query.since;
    const list = channelPosts(posting, channel.id, {
      since: since === undefined ? undefined : intQuery(call, "since", 0),
      page: intQuery(call, "page", 0),
      perPage: intQuery(call, "per_page", 60),
      before: call.query.before || undefined,
      after: call.query.after || undefined,
    });
    return { body: list };
  });
}
