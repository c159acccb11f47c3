/** Posts: create (with `pending_post_id`), ephemeral, read, patch, delete, threads, reactions. */
import type { FastifyInstance } from "fastify";
import type { CreatePostInput } from "../../mattermost/types.js";
import { ERRORS, fail, invalidBodyParam } from "../errors.js";
import { objectBody, route, stringField, type Call } from "../http.js";
import { postListOf, threadPosts } from "../post-lists.js";
import type { Services } from "../services.js";
import type { PostRecord } from "../wire.js";
import { idParam } from "./params.js";
import { reservedPropsRule } from "./reserved-props.js";

export function postRoutes(app: FastifyInstance, services: Services): void {
  const { world, posting, preferences } = services;
  /** A post the caller may read: 404 when missing, 403 when its channel is not readable. */
  const readable = (call: Call): PostRecord => {
    const userId = call.userId;
    const record = posting.record(idParam(call, "post_id"));
    if (!record) fail(ERRORS.postMissing);
    const channel = world.channels.get(record.channel_id);
    if (!channel || !world.canRead(userId, channel)) fail(ERRORS.permissions);
    return record;
  };

  route(app, world, "POST", "/posts", (call) => {
    // an array decodes into an empty post on the server: no channel, hence 403, not 400
    const json = call.json("post");
    const body = Array.isArray(json) ? {} : objectBody(call, "post");
    const input = toCreateInput(body);
    // the server checks the permission first (api4/post.go createPostChecks), then the props
    const channel = world.channels.get(input.channel_id);
    if (!channel || !world.canAct(call.userId, channel)) fail(ERRORS.permissions);
    input.props = reservedPropsRule(call, input.props, services);
    return {
      status: 201,
      body: posting.createAsUser(call.userId, input, call.query.set_online !== "false"),
    };
  });

  route(app, world, "POST", "/posts/ephemeral", (call) => {
    const body = objectBody(call, "post");
    const post = body.post;
    if (typeof post !== "object" || post === null) fail(invalidBodyParam("post"));
    const input = post as Record<string, unknown>;
    const sent = posting.sendEphemeral(call.userId, stringField(body, "user_id"), {
      channel_id: stringField(input, "channel_id"),
      message: stringField(input, "message", true),
      root_id: stringField(input, "root_id", true),
    });
    return { status: 201, body: sent };
  });

  route(app, world, "GET", "/posts/:post_id", (call) => ({ body: posting.wire(readable(call)) }));

  route(app, world, "GET", "/posts/:post_id/thread", (call) => {
    const record = readable(call);
    return { body: threadPosts(posting, record.id) };
  });

  route(app, world, "PUT", "/posts/:post_id/patch", (call) => {
    const postId = idParam(call, "post_id");
    const body = objectBody(call, "post");
    return { body: posting.edit(call.userId, postId, patchOf(body)) };
  });

  route(app, world, "PUT", "/posts/:post_id", (call) => {
    const postId = idParam(call, "post_id");
    const body = objectBody(call, "post");
    if (body.id !== undefined && body.id !== postId) fail(invalidBodyParam("id"));
    // an update replaces what a patch would leave: props (from_bot gone too) and is_pinned
    const patch = {
      ...patchOf(body),
      props: patchOf(body).props ?? {},
      is_pinned: body.is_pinned === true,
    };
    return { body: posting.edit(call.userId, postId, patch) };
  });

  route(app, world, "POST", "/posts/:post_id/pin", (call) => {
    posting.setPinned(call.userId, idParam(call, "post_id"), true);
    return { body: { status: "OK" } };
  });

  route(app, world, "POST", "/posts/:post_id/unpin", (call) => {
    posting.setPinned(call.userId, idParam(call, "post_id"), false);
    return { body: { status: "OK" } };
  });

  route(app, world, "GET", "/users/:user_id/posts/flagged", (call) => {
    const userId = idParam(call, "user_id", true);
    if (userId !== call.userId) fail(ERRORS.permissions);
    // flagged posts are `flagged_post` preferences named by the post's id
    const flagged = preferences
      .of(userId)
      .filter((p) => p.category === "flagged_post" && p.value === "true")
      .map((p) => posting.record(p.name));
    const readable = flagged.filter(
      (r): r is PostRecord =>
        r !== undefined && world.canRead(userId, world.channels.get(r.channel_id)!),
    );
    return {
      body: postListOf(
        posting,
        readable.sort((a, b) => b.create_at - a.create_at),
      ),
    };
  });

  route(app, world, "POST", "/teams/:team_id/posts/search", (call) => {
    const teamId = idParam(call, "team_id");
    let body: Record<string, unknown>;
    try {
      body = objectBody(call, "search");
    } catch {
      fail(ERRORS.searchBody);
    }
    if (typeof body.terms !== "string") fail(ERRORS.searchBody);
    if (!world.isTeamMember(teamId, call.userId) && !world.isAdmin(call.userId))
      fail(ERRORS.permissions);
    const found = posting.search(call.userId, teamId, body.terms, body.is_or_search === true);
    const page = typeof body.page === "number" ? body.page : 0;
    const perPage = typeof body.per_page === "number" ? body.per_page : 60;
    const picked = found.slice(page * perPage, (page + 1) * perPage);
    // no search highlighting: `matches` is null, as the server sends it without a search engine
    return {
      body: { ...postListOf(posting, picked), matches: null },
      headers: { "Cache-Control": "no-cache, no-store, must-revalidate" },
    };
  });

  route(app, world, "DELETE", "/posts/:post_id", (call) => {
    posting.remove(call.userId, idParam(call, "post_id"));
    return { body: { status: "OK" } };
  });

  route(app, world, "POST", "/reactions", (call) => {
    const body = objectBody(call, "reaction");
    const userId = stringField(body, "user_id");
    const postId = stringField(body, "post_id");
    const emoji = stringField(body, "emoji_name");
    if (userId !== call.userId) fail(ERRORS.reactionOtherUser);
    if (!/^[a-zA-Z0-9_+-]{1,64}$/.test(emoji)) fail(ERRORS.emojiName);
    return { body: posting.react(userId, postId, emoji) };
  });

  route(app, world, "GET", "/posts/:post_id/reactions", (call) => ({
    body: posting.reactionsOf(readable(call).id),
  }));
}

function toCreateInput(body: Record<string, unknown>): CreatePostInput {
  const fileIds = body.file_ids;
  if (
    fileIds !== undefined &&
    !(Array.isArray(fileIds) && fileIds.every((id) => typeof id === "string"))
  )
    fail(invalidBodyParam("file_ids"));
  const props = body.props;
  if (props !== undefined && props !== null && (typeof props !== "object" || Array.isArray(props)))
    fail(invalidBodyParam("props"));
  return {
    // a post without channel_id is refused as one in a channel the caller may not post in (403), as on the server
    channel_id: stringField(body, "channel_id", true),
    message: typeof body.message === "string" ? body.message : "",
    root_id: stringField(body, "root_id", true),
    props: (props ?? undefined) as Record<string, unknown> | undefined,
    file_ids: fileIds as string[] | undefined,
    pending_post_id: stringField(body, "pending_post_id", true),
  };
}

function patchOf(body: Record<string, unknown>): {
  message?: string;
  props?: Record<string, unknown>;
  is_pinned?: boolean;
} {
  const patch: { message?: string; props?: Record<string, unknown>; is_pinned?: boolean } = {};
  if (body.message !== undefined) patch.message = stringField(body, "message");
  if (body.props !== undefined) {
    if (typeof body.props !== "object" || body.props === null || Array.isArray(body.props))
      fail(invalidBodyParam("props"));
    patch.props = body.props as Record<string, unknown>;
  }
  if (typeof body.is_pinned === "boolean") patch.is_pinned = body.is_pinned;
  return patch;
}
