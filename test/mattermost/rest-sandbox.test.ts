/** The REST client against the sandbox over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MattermostApiError } from "../../src/errors.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";

let sandbox: Sandbox;
let seed: SeedResult;
let bot: MattermostClient;
beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  bot = new MattermostClient({
    url: sandbox.url,
    token: seed.bot.token,
    retry: { baseDelayMs: 5 },
  });
});
afterAll(() => sandbox.close());

describe("MattermostClient against the sandbox", () => {
  it("pings and knows who it is", async () => {
    await expect(bot.ping()).resolves.toMatchObject({ status: "OK" });
    const me = await bot.getMe();
    expect(me).toMatchObject({ id: seed.bot.user.id, username: "todobot", is_bot: true });
    await expect(bot.getUser(seed.users.alice.user.id)).resolves.toMatchObject({
      username: "alice",
    });
    await expect(bot.getUserByUsername("@bob")).resolves.toMatchObject({
      id: seed.users.bob.user.id,
    });
  });

  it("lists its teams and channels, and reads channels and memberships", async () => {
    const teams = await bot.getMyTeams();
    expect(teams.map((t) => t.name)).toEqual(["acme"]);
    const channels = await bot.getMyChannels(seed.team.id);
    expect(channels.map((c) => c.name)).toEqual(expect.arrayContaining(["town-square", "ops"]));
    expect(channels.map((c) => c.name)).not.toContain("off-topic");
    await expect(bot.getChannel(seed.channels.ops.id)).resolves.toMatchObject({
      name: "ops",
      type: "O",
    });
    await expect(
      bot.getChannelMember(seed.channels.ops.id, seed.bot.user.id),
    ).resolves.toMatchObject({ user_id: seed.bot.user.id });
  });

  it("creates, reads, patches, threads and deletes posts", async () => {
    const root = await bot.createPost({ channel_id: seed.channels.ops.id, message: "root" });
    expect(sandbox.getPost(root.id)?.message).toBe("root");
    const reply = await bot.createPost({
      channel_id: seed.channels.ops.id,
      message: "reply",
      root_id: root.id,
    });
    await expect(bot.getPost(reply.id)).resolves.toMatchObject({
      root_id: root.id,
      message: "reply",
    });
    await expect(bot.patchPost(reply.id, { message: "edited" })).resolves.toMatchObject({
      message: "edited",
    });
    const thread = await bot.getThread(root.id);
    expect(Object.keys(thread.posts).sort()).toEqual([root.id, reply.id].sort());
    const page = await bot.getChannelPosts(seed.channels.ops.id, { page: 0, perPage: 1 });
    expect(page.order).toHaveLength(1);
    const since = await bot.getChannelPostsSince(seed.channels.ops.id, root.create_at - 1);
    expect(since.order).toEqual(expect.arrayContaining([root.id, reply.id]));
    await bot.deletePost(reply.id);
    expect(sandbox.thread(root.id).map((p) => p.id)).toEqual([root.id]);
  });

  it("returns one post for two creates with the same pending_post_id", async () => {
    const input = {
      channel_id: seed.channels.ops.id,
      message: "idempotent",
      pending_post_id: `${seed.bot.user.id}:42`,
    };
    const first = await bot.createPost(input);
    const second = await bot.createPost(input);
    expect(second.id).toBe(first.id);
    expect(
      sandbox.channelPosts(seed.channels.ops.id).filter((p) => p.message === "idempotent"),
    ).toHaveLength(1);
  });

  it("types, reacts, opens a DM and uploads a file", async () => {
    const typing = sandbox.waitForEvent(
      (e) => e.event === "typing" && e.broadcast.channel_id === seed.channels.ops.id,
    );
    await bot.sendTyping(seed.bot.user.id, seed.channels.ops.id);
    await expect(typing).resolves.toMatchObject({ data: { user_id: seed.bot.user.id } });
    const post = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "react to me",
    });
    await bot.addReaction(seed.bot.user.id, post.id, "white_check_mark");
    const dm = await bot.createDirectChannel(seed.bot.user.id, seed.users.alice.user.id);
    expect(dm.type).toBe("D");
    const info = await bot.uploadFile(dm.id, "todo.txt", new TextEncoder().encode("buy milk"));
    expect(info).toMatchObject({ name: "todo.txt", size: 8 });
    const withFile = await bot.createPost({
      channel_id: dm.id,
      message: "attached",
      file_ids: [info.id],
    });
    expect(withFile.file_ids).toEqual([info.id]);
  });

  it("downloads a file's bytes as they are, over node:http and over a given fetch", async () => {
    const bytes = new Uint8Array(256).map((_, i) => i); // every byte value: nothing decoded as text
    const info = await bot.uploadFile(seed.channels.ops.id, "all.bin", bytes);
    expect(await bot.getFileBytes(info.id)).toEqual(bytes);
    const viaFetch = new MattermostClient({ url: sandbox.url, token: seed.bot.token, fetch });
    expect(await viaFetch.getFileBytes(info.id)).toEqual(bytes);
    const missing = await bot.getFileBytes("nosuchfile000000000000000a").catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(MattermostApiError);
    expect(missing).toMatchObject({ status: 404 });
  });

  it("types the server's refusals", async () => {
    const stranger = new MattermostClient({ url: sandbox.url, token: "nosuchtoken00000000000000" });
    const unauthorized = await stranger.getMe().catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(MattermostApiError);
    expect(unauthorized).toMatchObject({
      status: 401,
      serverErrorId: "api.context.session_expired.app_error",
      method: "GET",
      path: "/api/v4/users/me",
    });
    expect((unauthorized as MattermostApiError).requestId).not.toBe("");

    // a private channel the bot is not in (an open one of its team accepts its posts, like the server)
    const secret = sandbox.createChannel({ team_id: seed.team.id, name: "secret", type: "P" });
    const forbidden = await bot
      .createPost({ channel_id: secret.id, message: "not a member" })
      .catch((e: unknown) => e);
    expect(forbidden).toMatchObject({
      status: 403,
      serverErrorId: "api.context.permissions.app_error",
    });
    expect((forbidden as MattermostApiError).requestId).not.toBe("");

    await expect(bot.getUserByUsername("nobody")).rejects.toMatchObject({ status: 404 });
    await expect(
      bot.createPost({ channel_id: seed.channels.ops.id, message: "x".repeat(16_384) }),
    ).rejects.toMatchObject({
      status: 400,
      serverErrorId: "model.post.is_valid.msg.app_error",
    });
  });
});
