/**
 * The REST contract: each recorded call of the real server (fixtures/rest) replayed against a
 * seeded sandbox in the equivalent situation; status, content type, headers and body shape must
 * match. Ids in the fixture's path and body are mapped to the sandbox's ids.
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { IntegrationServer } from "./integration-server.js";
import { api } from "./integrations-rest.js";
import { loadRest, shapeDiff, type RestFixture } from "./shape.js";

// fixture ids → names of the things they stand for
const FIXTURE_IDS: Record<string, string> = {
  "5yd48nkmn38cujdwjpoymbn9to": "bot",
  p4x93acafj8gij314cqbp7gsoe: "alice",
  t1441btrapg77fdwrss65cw41y: "admin",
  "3ahjq17e57yet8xhk4ix4ubsuo": "team",
  s5m6haaditfdmcrw46zwuj6khc: "ops",
  jdkfiktfkpbmjc8msj6degog5w: "secret",
  gohj83rkzbntxgg36i5ym1habo: "root",
  pjyqe5yfppboie7bca8y5c55zc: "reply",
  abzrcgbfhbd95gcphuqhrsdeir: "file",
  "3rgaojue4b8j5fthu3n68833yr": "actionsPost",
  // the second recording (release-5.37 build, "fidelity" run)
  cfxa558kyfr3uxnq7j8na7g9dy: "bot",
  xfa7an7gsprsxfyheu5ht5ymgr: "alice",
  cma1153omjrw7fzrknpic6tgha: "bob",
  jobw1k1dwtfntqfhizismzxise: "admin",
  "7sg8ghe7j7bi8xw7i3oao9if5o": "team",
  yqnofe7jxtbyjfa9rc9879qz7y: "ops",
  xj8akauk4bysfncj74eswajfzc: "offTopic",
  m5oxtfiusjr6xptxq88a4e5b7a: "root",
  "1p3rsjofctfk8crz43st55u5ah": "botReply",
  jobi1f7xnjd85fxyuu3qjofbrw: "uploaded",
  pmmjac4yjjgnipshui6tfoytor: "botReply",
};
/** Where the recorded integrations listened; the test's integration server stands in for them. */
const RECORDED_INTEGRATION_URL = "http://127.0.0.1:9191";

let sandbox: Sandbox;
let seed: SeedResult;
let integration: IntegrationServer;
const ids: Record<string, string> = {};

function mapIds(text: string): string {
  return text
    .replace(/[a-z0-9]{26}/g, (id) => (FIXTURE_IDS[id] && ids[FIXTURE_IDS[id]!]) || id)
    .replaceAll(RECORDED_INTEGRATION_URL, integration.url);
}

interface Replayed {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** Sends the fixture's request (ids mapped) with the given token (default the bot's). */
async function replay(
  fixture: RestFixture,
  token: string | null = seed.bot.token,
  override?: { body?: RequestInit["body"]; headers?: Record<string, string> },
): Promise<Replayed> {
  const { method, path, body } = fixture.request;
  let payload: RequestInit["body"] | undefined = override?.body;
  if (payload === undefined && body !== undefined) {
    payload =
      typeof body === "string"
        ? body // sent as is (malformed JSON)
        : mapIds(JSON.stringify(body)).replace(/"<(\d+) (\w)>"/g, (_m, n: string, c: string) =>
            JSON.stringify(c.repeat(Number(n))),
          );
  }
  const headers: Record<string, string> = {
    ...(override?.headers ?? (payload !== undefined ? { "Content-Type": "application/json" } : {})),
  };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(`${sandbox.url}${mapIds(path)}`, { method, headers, body: payload });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** Status, content type, server headers and body shape as recorded. */
function expectLikeFixture(
  got: Replayed,
  fixture: RestFixture,
  expectedBody: unknown = fixture.response.body,
): void {
  expect(got.status, got.text).toBe(fixture.response.status);
  expect(got.headers.get("content-type")).toBe(fixture.response.headers["content-type"]);
  expect(got.headers.get("x-version-id")).toMatch(/^5\.37\.0/);
  expect(got.headers.get("x-request-id")).toMatch(/^[a-z0-9]{26}$/);
  expect(shapeDiff(got.body, expectedBody)).toEqual([]);
  if (got.status >= 400) {
    const error = got.body as { id: string; request_id: string };
    expect(error.id).toBe((expectedBody as { id: string }).id);
    expect(error.request_id).toBe(got.headers.get("x-request-id"));
  }
}

const check = (name: string, token?: () => string | null) =>
  it(name, async () => {
    const fixture = loadRest(name);
    expectLikeFixture(await replay(fixture, token ? token() : seed.bot.token), fixture);
  });

beforeAll(async () => {
  // the recordings are a 5.37 server's: its version strings and answers
  sandbox = await Sandbox.start({ version: "5.37" });
  integration = await IntegrationServer.start();
  seed = sandbox.seed();
  const secret = sandbox.createChannel({ team_id: seed.team.id, name: "secret", type: "P" });
  sandbox.addToChannel(secret.id, seed.users.admin.user.id);
  const root = sandbox.post(seed.users.alice.user.id, {
    channel_id: seed.channels.ops.id,
    message: "@todobot add buy milk",
  });
  Object.assign(ids, {
    bot: seed.bot.user.id,
    alice: seed.users.alice.user.id,
    admin: seed.users.admin.user.id,
    team: seed.team.id,
    ops: seed.channels.ops.id,
    secret: secret.id,
    root: root.id,
  });
});

afterAll(async () => {
  await sandbox.close();
  await integration.close();
});

describe("system and users", () => {
  check("system-ping", () => null);
  check("users-me");
  check("users-me-bad-token", () => "x".repeat(26));
  check("users-me-no-auth", () => null);
  check("users-get");
  check("users-by-username");
  check("users-by-username-missing");
  check("users-me-teams");
  check("users-typing");
  check("config-client-old");
  check("config-client-old-no-auth", () => null);
  check("config-client-no-format");
  check("license-client-old", () => null);
  check("license-client-no-format");

  check("config-client-bad-format");

  it("users-me-channels: the team's channels and the bot's DMs", async () => {
    sandbox.directChannel(seed.bot.user.id, seed.users.alice.user.id);
    const fixture = loadRest("users-me-channels");
    const got = await replay(fixture);
    // the recorded list shows only DMs; team channels are shaped like channels-get
    expectLikeFixture(got, fixture, [
      ...(fixture.response.body as unknown[]),
      loadRest("channels-get").response.body,
    ]);
    const types = (got.body as Array<{ type: string; name: string }>).map((c) => c.type).sort();
    expect(types).toEqual(["D", "O", "O"]);
  });

  it("POST /users/login answers the user and a Token header usable as Bearer", async () => {
    const res = await fetch(`${sandbox.url}/api/v4/users/login`, {
      method: "POST",
      body: JSON.stringify({ login_id: "alice", password: "sandbox-alice" }),
    });
    expect(res.status).toBe(200);
    const token = res.headers.get("token")!;
    expect(token).toMatch(/^[a-z0-9]{26}$/);
    expect(
      shapeDiff(await res.json(), loadRest("users-me").response.body).filter(
        (d) => !d.includes("is_bot"),
      ),
    ).toEqual([]);
    const me = await fetch(`${sandbox.url}/api/v4/users/me`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(((await me.json()) as { username: string }).username).toBe("alice");
    const wrong = await fetch(`${sandbox.url}/api/v4/users/login`, {
      method: "POST",
      body: JSON.stringify({ login_id: "alice", password: "nope" }),
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { id: string }).id).toBe(
      "api.user.login.invalid_credentials_email_username",
    );
  });

  it("an unknown route is a 404 with text/plain content type and a JSON error body", async () => {
    const fixture = loadRest("posts-actions-underscore-id");
    const res = await fetch(`${sandbox.url}/api/v4/no/such/route`, {
      headers: { Authorization: `Bearer ${seed.bot.token}` },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe(fixture.response.headers["content-type"]);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.id).toBe("api.context.404.app_error");
    // no API handler ran: no request id, in the header or the body, and no version (as recorded)
    expect(Object.keys(body).sort()).toEqual(Object.keys(fixture.response.body as object).sort());
    expect(res.headers.get("x-request-id")).toBeNull();
    expect(res.headers.get("x-version-id")).toBeNull();
  });
});

describe("channels", () => {
  check("channels-get");
  check("channels-member");
  check("channels-member-missing");
  check("channels-direct");

  it("DELETE /channels/{id}/members/{user}: removed as the server does, with its errors", async () => {
    const remove = async (token: string, channelId: string, userId: string): Promise<Replayed> => {
      const res = await fetch(`${sandbox.url}/api/v4/channels/${channelId}/members/${userId}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${token}` },
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, body: JSON.parse(text) as unknown, text };
    };
    const channel = sandbox.createChannel({ team_id: seed.team.id, name: "kick-test" }).id;
    for (const u of [seed.users.alice, seed.users.bob]) sandbox.addToChannel(channel, u.user.id);
    const bob = seed.users.bob.user.id;
    expectLikeFixture(
      await remove(seed.users.alice.token, channel, bob),
      loadRest("channels-member-remove"),
    );
    expect(sandbox.channelPosts(channel).at(-1)).toMatchObject({
      type: "system_remove_from_channel",
      user_id: seed.users.alice.user.id,
      message: "@bob removed from the channel.",
      props: { removedUserId: bob, removedUsername: "bob" },
    });
    const again = await remove(seed.users.alice.token, channel, bob);
    expectLikeFixture(again, loadRest("channels-member-remove-missing"));
    const bobPosts = await fetch(`${sandbox.url}/api/v4/posts`, {
      method: "POST",
      headers: { Authorization: `Bearer ${seed.users.bob.token}` },
      body: JSON.stringify({ channel_id: channel, message: "still here?" }),
    });
    expect(bobPosts.status).toBe(403);
    expectLikeFixture(
      await remove(seed.users.admin.token, seed.channels.townSquare.id, bob),
      loadRest("channels-member-remove-default"),
    );
    // leaving alone is a system_leave_channel post by the one who left
    expect((await remove(seed.users.alice.token, channel, seed.users.alice.user.id)).status).toBe(
      200,
    );
    expect(sandbox.channelPosts(channel).at(-1)).toMatchObject({
      type: "system_leave_channel",
      message: "@alice left the channel.",
      props: { username: "alice" },
    });
  });

  it("a member's lookup of someone not in an open channel is a 404", async () => {
    const res = await fetch(
      `${sandbox.url}/api/v4/channels/${seed.channels.offTopic.id}/members/${seed.bot.user.id}`,
      {
        headers: { Authorization: `Bearer ${seed.users.alice.token}` },
      },
    );
    expect(res.status).toBe(404);
    expect(((await res.json()) as { id: string }).id).toBe(
      "app.channel.get_member.missing.app_error",
    );
  });
});

/**
 * A team member who is not in an open channel (checked against a real 5.37 server): sees the channel
 * and its posts by id, but may not list its posts or members, nor post; a system admin may.
 */
describe("an open channel the caller is not a member of", () => {
  const denied = loadRest("posts-create-not-member");
  let channel: string;
  let root: Post;

  beforeAll(() => {
    channel = sandbox.createChannel({ team_id: seed.team.id, name: "members-only" }).id;
    sandbox.addToChannel(channel, seed.users.alice.user.id);
    root = sandbox.post(seed.users.alice.user.id, {
      channel_id: channel,
      message: "only for members",
    });
  });

  const call = async (
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<Replayed> => {
    const res = await fetch(`${sandbox.url}/api/v4${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: JSON.parse(text) as unknown, text };
  };

  it("GET /channels/{id}/posts is a 403, as the server answers", async () => {
    expectLikeFixture(await call(seed.bot.token, "GET", `/channels/${channel}/posts`), denied);
  });

  it("POST /posts is a 403, for a new post and for a reply, and nothing is posted", async () => {
    expectLikeFixture(
      await call(seed.bot.token, "POST", "/posts", { channel_id: channel, message: "hello" }),
      denied,
    );
    expectLikeFixture(
      await call(seed.bot.token, "POST", "/posts", {
        channel_id: channel,
        message: "hi",
        root_id: root.id,
      }),
      denied,
    );
    const posts = (await call(seed.users.alice.token, "GET", `/channels/${channel}/posts`))
      .body as { posts: Record<string, Post> };
    expect(Object.values(posts.posts).map((p) => p.message)).not.toContain("hello");
    expect(Object.values(posts.posts).map((p) => p.message)).not.toContain("hi");
  });

  it("GET /channels/{id}/members/me and the member list are a 403", async () => {
    expectLikeFixture(await call(seed.bot.token, "GET", `/channels/${channel}/members/me`), denied);
    expectLikeFixture(await call(seed.bot.token, "GET", `/channels/${channel}/members`), denied);
  });

  it("the channel, a post and its thread are still readable", async () => {
    const got = await call(seed.bot.token, "GET", `/channels/${channel}`);
    expect(got.status, got.text).toBe(200);
    expect((got.body as { id: string }).id).toBe(channel);
    expect((await call(seed.bot.token, "GET", `/posts/${root.id}`)).status).toBe(200);
    const thread = await call(seed.bot.token, "GET", `/posts/${root.id}/thread`);
    expect(thread.status).toBe(200);
    expect(Object.keys((thread.body as { posts: Record<string, Post> }).posts)).toEqual([root.id]);
  });

  it("a system admin who is not a member lists the posts and posts there", async () => {
    const admin = seed.users.admin.token;
    const me = await call(admin, "GET", `/channels/${channel}/members/me`);
    expect(me.status).toBe(404); // not a member, yet allowed to ask
    expect((await call(admin, "GET", `/channels/${channel}/posts`)).status).toBe(200);
    const posted = await call(admin, "POST", "/posts", {
      channel_id: channel,
      message: "admin here",
    });
    expect(posted.status, posted.text).toBe(201);
  });
});

describe("posts", () => {
  check("posts-create-user", () => seed.users.alice.token);

  it("posts-create-reply", async () => {
    const fixture = loadRest("posts-create-reply");
    const got = await replay(fixture);
    expectLikeFixture(got, fixture);
    const reply = got.body as Post;
    expect(reply.root_id).toBe(ids.root);
    expect(reply.reply_count).toBe(1);
    expect(reply.props).toEqual({ from_bot: "true" });
    ids.reply = reply.id;
  });

  check("posts-create-reply-to-reply");
  check("posts-create-16383");
  check("posts-create-16384");
  check("posts-create-empty");
  check("posts-create-malformed-json");
  check("posts-create-not-member");
  check("posts-create-bad-channel");
  check("posts-create-attachments");

  it("posts-create-pending-id-1 and -2: the same post, the second with an empty pending_post_id", async () => {
    const first = loadRest("posts-create-pending-id-1");
    const second = loadRest("posts-create-pending-id-2");
    const a = await replay(first);
    expectLikeFixture(a, first);
    const b = await replay(second);
    expectLikeFixture(b, second);
    expect((b.body as Post).id).toBe((a.body as Post).id);
    expect((b.body as Post).pending_post_id).toBe("");
    expect(
      sandbox.channelPosts(seed.channels.ops.id).filter((p) => p.message === "idempotent reply"),
    ).toHaveLength(1);
  });

  it("files-upload then posts-create-with-file", async () => {
    const upload = loadRest("files-upload");
    const form = new FormData();
    form.append("channel_id", seed.channels.ops.id);
    form.append("files", new Blob(["buy milk\n1.\n"], { type: "text/plain" }), "todo.txt");
    const got = await replay(upload, seed.bot.token, { body: form, headers: {} });
    expectLikeFixture(got, upload);
    const info = (got.body as { file_infos: Array<{ id: string; size: number }> }).file_infos[0]!;
    expect(info.size).toBe(12);
    ids.file = info.id;

    const create = loadRest("posts-create-with-file");
    const post = await replay(create);
    expectLikeFixture(post, create);
    const bytes = await fetch(`${sandbox.url}/api/v4/files/${info.id}`, {
      headers: { Authorization: `Bearer ${seed.users.alice.token}` },
    });
    expect(bytes.status).toBe(200);
    expect(await bytes.text()).toBe("buy milk\n1.\n");
  });

  check("posts-get");
  check("posts-get-missing");
  check("posts-thread");

  it("posts-thread-of-reply: asked by a reply's id, the order starts with that reply, as the server's does", async () => {
    const fixture = loadRest("posts-thread-of-reply");
    const root = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "where is the milk?",
    });
    const first = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "in the fridge",
      root_id: root.id,
    });
    const second = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "thanks",
      root_id: root.id,
    });
    const res = await fetch(`${sandbox.url}/api/v4/posts/${second.id}/thread`, {
      headers: { Authorization: `Bearer ${seed.users.alice.token}` },
    });
    const text = await res.text();
    expectLikeFixture(
      { status: res.status, headers: res.headers, body: JSON.parse(text) as unknown, text },
      fixture,
    );
    const recorded = fixture.response.body as { order: string[] };
    const order = (JSON.parse(text) as { order: string[] }).order;
    expect(order).toHaveLength(recorded.order.length);
    expect(order[0]).toBe(second.id); // not the root: a client must look for the post without root_id
    expect(new Set(order)).toEqual(new Set([root.id, first.id, second.id]));
  });
  // the recorded pages hold no post with a file or a reply: those post shapes come from their own fixtures
  for (const name of ["channel-posts-page", "channel-posts-since"]) {
    it(name, async () => {
      const fixture = loadRest(name);
      const body = fixture.response.body as { posts: Record<string, unknown> };
      const samples = {
        ...body.posts,
        ...(loadRest("posts-thread").response.body as { posts: Record<string, unknown> }).posts,
        ["f".repeat(26)]: loadRest("posts-create-with-file").response.body,
      };
      const got = await replay(fixture);
      expectLikeFixture(got, fixture, { ...body, posts: samples });
      expect((got.body as { order: string[] }).order.length).toBeGreaterThan(1);
    });
  }
  check("posts-patch");
  check("reactions-add");
  check("posts-delete");
  // the recorded caller was the bot: without the system admin role it may not (create_post_ephemeral)
  check("posts-ephemeral");

  it("a post id of the right shape that does not exist is a 404", async () => {
    const res = await fetch(`${sandbox.url}/api/v4/posts/${"a".repeat(26)}`, {
      headers: { Authorization: `Bearer ${seed.bot.token}` },
    });
    expect(res.status).toBe(404);
  });
});

describe("integrations (the test's integration server answers as the recorded ones did)", () => {
  const admin = () => seed.users.admin.token;
  const alice = () => seed.users.alice.token;

  beforeAll(() => {
    // the recorded answers, chosen by the command's text or the dialog's submission
    integration.answer("/slash", (request) => {
      const answers: Record<string, { status?: number; body?: unknown }> = {
        list: {
          body: {
            response_type: "in_channel",
            text: "Your list",
            attachments: [
              {
                text: "1. buy milk",
                actions: [
                  {
                    id: "done1",
                    name: "Done",
                    integration: {
                      url: "http://127.0.0.1:9191/actions",
                      context: { action: "done", item: 1 },
                    },
                  },
                ],
              },
            ],
          },
        },
        secret: {
          body: {
            response_type: "ephemeral",
            text: "only you see this",
            extra_responses: [{ response_type: "in_channel", text: "extra" }],
          },
        },
        empty: { body: {} },
        fail: { status: 500, body: "" },
      };
      return answers[request.parsedBody.text as string] ?? { body: {} };
    });
    integration.answer("/actions", {
      body: { update: { message: "Todo list (1 done)", props: {} } },
    });
    integration.answer("/dialog", (request) => {
      const submission = request.parsedBody.submission as Record<string, unknown>;
      return { body: submission.text === "" ? { errors: { text: "Text is required" } } : {} };
    });
  });

  it("commands-create (as an admin)", async () => {
    const fixture = loadRest("commands-create");
    expectLikeFixture(await replay(fixture, admin()), fixture);
  });
  check("commands-execute", alice);
  check("commands-execute-ephemeral", alice);
  check("commands-execute-empty-answer", alice);
  check("commands-execute-integration-500", alice);

  // the recorded trigger id is hours old by now: expired, as it was (too slow) in the recording
  check("dialogs-open");
  check("dialogs-open-bad-trigger");
  check("dialogs-submit-errors", alice);
  check("dialogs-submit-ok", alice);
  check("dialogs-submit-cancel", alice);

  // these two fixtures hold only the response
  it("hooks-incoming-create", async () => {
    const fixture = loadRest("hooks-incoming-create");
    const got = await api(sandbox.url, "POST", "/api/v4/hooks/incoming", admin(), {
      channel_id: seed.channels.ops.id,
      display_name: "cap incoming",
    });
    expect(got.status).toBe(fixture.response.status);
    expect(shapeDiff(got.body, fixture.response.body)).toEqual([]);
  });
  it("hooks-outgoing-create", async () => {
    const fixture = loadRest("hooks-outgoing-create");
    const body = {
      team_id: seed.team.id,
      channel_id: seed.channels.ops.id,
      trigger_words: ["mmtodo"],
      callback_urls: [`${integration.url}/hook-form`],
      display_name: "cap",
      content_type: "application/x-www-form-urlencoded",
    };
    const got = await api(sandbox.url, "POST", "/api/v4/hooks/outgoing", admin(), body);
    expect(got.status).toBe(fixture.response.status);
    expect(shapeDiff(got.body, fixture.response.body)).toEqual([]);
  });

  it("posts-actions-button, then posts-actions-select on the updated post (its buttons are gone: 404)", async () => {
    const post = sandbox.post(seed.bot.user.id, {
      channel_id: seed.channels.ops.id,
      message: "Todo list",
      props: {
        attachments: [
          {
            text: "1. buy milk",
            actions: [
              {
                id: "done1",
                type: "button",
                name: "Done",
                integration: {
                  url: `${integration.url}/actions`,
                  context: { action: "done", item: 1 },
                },
              },
              {
                id: "pick",
                type: "select",
                name: "Pick",
                options: [{ text: "One", value: "one" }],
                integration: { url: `${integration.url}/actions` },
              },
            ],
          },
        ],
      },
    });
    ids.actionsPost = post.id;
    const button = loadRest("posts-actions-button");
    expectLikeFixture(await replay(button, alice()), button);
    const pick = loadRest("posts-actions-select");
    expectLikeFixture(await replay(pick, alice()), pick);
  });
});

describe("recorded from the release-5.37 build: teams, groups, pins, search, files, errors", () => {
  const alice = () => seed.users.alice.token;
  const ordered = (channels: Array<{ display_name: string }>) =>
    channels.map((c) => c.display_name);
  const byteOrder = (names: string[]) => [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  beforeAll(() => {
    const reply = sandbox.post(seed.bot.user.id, {
      channel_id: seed.channels.ops.id,
      message: "reply",
      root_id: ids.root,
    });
    Object.assign(ids, {
      bob: seed.users.bob.user.id,
      offTopic: seed.channels.offTopic.id,
      botReply: reply.id,
    });
  });

  check("teams-list");
  check("teams-members");
  check("channels-get-missing");
  check("channels-create-no-team", alice);
  check("channels-direct-missing-user");
  check("channels-group-bad-size");
  check("channels-stats");
  check("posts-search-malformed");
  check("posts-flagged");
  check("posts-create-array");
  check("reactions-add-other-user", alice);
  check("reactions-add-bad-emoji", alice);

  it("an id of other characters than letters and digits is no route: 404 text/plain without request id", async () => {
    const fixture = loadRest("teams-bad-id-404");
    const got = await replay(fixture);
    expect(got.status).toBe(404);
    expect(got.headers.get("content-type")).toBe(fixture.response.headers["content-type"]);
    expect(got.headers.get("x-request-id")).toBeNull();
    expect(got.body).toEqual({
      ...(fixture.response.body as object),
      detailed_error: (fixture.response.body as { detailed_error: string }).detailed_error,
    });
  });

  it("a team's open channels and the caller's channels come sorted by display name, byte-wise", async () => {
    const open = loadRest("teams-channels");
    const got = await replay(open);
    expectLikeFixture(got, open);
    const names = ordered(got.body as Array<{ display_name: string }>);
    expect(names).toEqual(byteOrder(names));
    expect(names.filter((n) => ["Off-Topic", "Town Square", "ops"].includes(n))).toEqual([
      "Off-Topic",
      "Town Square",
      "ops",
    ]);
    expect(ordered(open.response.body as Array<{ display_name: string }>)).toEqual(
      byteOrder(ordered(open.response.body as Array<{ display_name: string }>)),
    );
    const mine = loadRest("channels-my-team-channels-order");
    sandbox.directChannel(seed.bot.user.id, seed.users.alice.user.id);
    const group = await replay(loadRest("channels-group"));
    expectLikeFixture(group, loadRest("channels-group"));
    expect(group.body).toMatchObject({
      type: "G",
      display_name: "alice, bob, todobot",
      name: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
    const list = await replay(mine);
    expectLikeFixture(list, mine);
    const recorded = mine.response.body as Array<{ type: string; display_name: string }>;
    expect(ordered(recorded)).toEqual(byteOrder(ordered(recorded)));
    expect((list.body as Array<{ type: string }>).map((c) => c.type)).toEqual(["D", "O", "G", "O"]); // "", "Town Square", "alice, bob, todobot", "ops"
  });

  it("pin, then the channel's pinned posts; a pin is no edit (edit_at stays 0)", async () => {
    // a fresh root, without the reactions earlier tests gave the first one (the recorded post has none)
    const earlierRoot = ids.root;
    ids.root = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "pin me",
    }).id;
    onTestFinished(() => void (ids.root = earlierRoot!));
    const pin = loadRest("posts-pin");
    expectLikeFixture(await replay(pin, alice()), pin);
    const pinned = loadRest("channels-pinned");
    const got = await replay(pinned);
    expectLikeFixture(got, pinned);
    const root = (got.body as { posts: Record<string, Post> }).posts[ids.root!]!;
    expect(root).toMatchObject({ is_pinned: true, edit_at: 0 });
  });

  it("search: the caller's channels' posts holding the terms, matches null", async () => {
    sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "@todobot hello there",
    });
    const fixture = loadRest("posts-search");
    const got = await replay(fixture);
    expectLikeFixture(got, fixture);
    expect(got.headers.get("cache-control")).toBe(fixture.response.headers["cache-control"]);
    const found = got.body as { order: string[]; posts: Record<string, Post> };
    expect(found.order.length).toBeGreaterThan(0);
    for (const id of found.order) expect(found.posts[id]!.message).toMatch(/\bhello\b/i);
  });

  it("a patch with props replaces them too (from_bot gone) and is no edit (edit_at 0)", async () => {
    ids.botReply = sandbox.post(seed.bot.user.id, {
      channel_id: seed.channels.ops.id,
      message: "reply",
    }).id;
    const fixture = loadRest("posts-patch-props");
    const got = await replay(fixture);
    expectLikeFixture(got, fixture);
    expect(got.body).toMatchObject({ props: { a: "b" }, edit_at: 0 });
  });

  it("PUT /posts/{id} replaces the props: a bot's post loses from_bot", async () => {
    const fixture = loadRest("posts-update");
    const got = await replay(fixture);
    expectLikeFixture(got, fixture);
    expect((got.body as Post).props).toEqual({});
  });

  it("files: no upload to a channel the caller is not in; the body-as-file upload; the download's headers", async () => {
    const notMember = loadRest("files-upload-not-member");
    const form = new FormData();
    form.append("channel_id", seed.channels.offTopic.id);
    form.append("files", new Blob(["x"]), "x.txt");
    expectLikeFixture(
      await replay(notMember, seed.bot.token, { body: form, headers: {} }),
      notMember,
    );
    const raw = loadRest("files-upload-raw");
    const uploaded = await replay(raw, seed.bot.token, {
      body: "raw body",
      headers: { "Content-Type": "text/plain" },
    });
    expectLikeFixture(uploaded, raw);
    ids.uploaded = (uploaded.body as { file_infos: Array<{ id: string }> }).file_infos[0]!.id;
    const info = loadRest("files-info");
    const gotInfo = await replay(info);
    expectLikeFixture(gotInfo, info);
    expect(gotInfo.headers.get("cache-control")).toBe(info.response.headers["cache-control"]);
    const download = loadRest("files-get");
    const got = await replay(download);
    expect(got.status).toBe(200);
    for (const name of [
      "cache-control",
      "x-content-type-options",
      "x-frame-options",
      "content-security-policy",
    ]) {
      expect(got.headers.get(name), name).toBe(download.response.headers[name]);
    }
    expect(got.headers.get("last-modified")).toMatch(/GMT$/);
  });
});
