/**
 * The REST calls a person's client makes at startup, answered as the 5.37 server does: user
 * listings (sanitised profiles, shaped like the recorded users-get), preferences, statuses, team
 * members and unreads, channel members per team, profile pictures; and a post without
 * `channel_id` refused like one in a channel the caller may not post in.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Channel } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { api, type ApiResult } from "./integrations-rest.js";
import { loadRest, shapeDiff } from "./shape.js";
import { TestSocket } from "./ws-client.js";

let sandbox: Sandbox;
let seed: SeedResult;
let secret: Channel;

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  secret = sandbox.createChannel({ team_id: seed.team.id, name: "secret", type: "P" });
  sandbox.addToChannel(secret.id, seed.users.admin.user.id);
});
afterAll(() => sandbox.close());

const alice = () => seed.users.alice;
const asAlice = (method: string, path: string, body?: unknown) =>
  api(sandbox.url, method, `/api/v4${path}`, alice().token, body);
const usernames = (result: ApiResult) =>
  (result.body as Array<{ username: string }>).map((u) => u.username);

/** Status, error id and the error body's shape, as in the recorded errors. */
function expectError(result: ApiResult, status: number, id: string): void {
  expect(result.status, result.text).toBe(status);
  expect(result.contentType).toBe("application/json");
  expect(shapeDiff(result.body, loadRest("posts-create-not-member").response.body)).toEqual([]);
  expect((result.body as { id: string }).id).toBe(id);
}

/** Every user of a listing is a sanitised profile: the recorded users-get shape (plus is_bot for bots). */
function expectProfiles(result: ApiResult): void {
  expect(result.status, result.text).toBe(200);
  const recorded = loadRest("users-get").response.body as Record<string, unknown>;
  for (const user of result.body as Array<Record<string, unknown>>) {
    expect(
      shapeDiff(user, user.is_bot ? { ...recorded, is_bot: true } : recorded),
      String(user.username),
    ).toEqual([]);
  }
}

describe("GET /users", () => {
  it("in_team: the team's users by username, sanitised (the caller too), paged", async () => {
    const all = await asAlice("GET", `/users?in_team=${seed.team.id}&page=0&per_page=60`);
    expectProfiles(all);
    expect(usernames(all)).toEqual(["admin", "alice", "bob", "todobot"]);
    const self = (all.body as Array<Record<string, unknown>>).find((u) => u.username === "alice")!;
    expect(self).not.toHaveProperty("notify_props");
    expect(self).not.toHaveProperty("last_password_update");
    expect(self.email).toBe("alice@example.com"); // the default privacy settings show emails
    expect(
      usernames(await asAlice("GET", `/users?in_team=${seed.team.id}&page=1&per_page=2`)),
    ).toEqual(["bob", "todobot"]);
    expect(
      (await asAlice("GET", `/users?in_team=${seed.team.id}&page=1&per_page=60`)).body,
    ).toEqual([]);
    // a bad page or per_page is the default, as the server reads them
    expect(
      usernames(await asAlice("GET", `/users?in_team=${seed.team.id}&page=x&per_page=-1`)),
    ).toHaveLength(4);
  });

  it("in_channel, not_in_channel (with in_team), not_in_team, and no filter", async () => {
    const carol = sandbox.createUser({ username: "carol" }); // in no team
    expect(
      usernames(await asAlice("GET", `/users?in_channel=${seed.channels.offTopic.id}`)),
    ).toEqual(["admin", "alice", "bob"]);
    const admin = (path: string) =>
      api(sandbox.url, "GET", `/api/v4${path}`, seed.users.admin.token);
    expect(
      usernames(await admin(`/users?in_team=${seed.team.id}&not_in_channel=${secret.id}`)),
    ).toEqual(["alice", "bob", "todobot"]);
    expect(usernames(await asAlice("GET", `/users?not_in_team=${seed.team.id}`))).toEqual([
      "carol",
    ]);
    expect(usernames(await asAlice("GET", "/users"))).toEqual([
      "admin",
      "alice",
      "bob",
      "carol",
      "todobot",
    ]);
    expect(usernames(await admin("/users?without_team=true"))).toEqual([carol.user.username]);
  });

  it("sort=status in a channel: online users first, then by username", async () => {
    const socket = await TestSocket.open(sandbox.url, { token: seed.users.bob.token });
    await socket.event("hello");
    expect(
      usernames(await asAlice("GET", `/users?in_channel=${seed.channels.offTopic.id}&sort=status`)),
    ).toEqual(["bob", "admin", "alice"]);
    socket.close();
    await socket.closed;
  });

  it("refuses as the server does", async () => {
    expectError(
      await asAlice("GET", `/users?not_in_channel=${seed.channels.ops.id}`),
      400,
      "api.context.invalid_url_param.app_error",
    );
    expectError(
      await asAlice("GET", `/users?in_team=${seed.team.id}&sort=name`),
      400,
      "api.context.invalid_url_param.app_error",
    );
    expectError(
      await asAlice("GET", `/users?in_channel=${secret.id}`),
      403,
      "api.context.permissions.app_error",
    );
    const outsider = sandbox.createUser({ username: "dave" });
    expectError(
      await api(sandbox.url, "GET", `/api/v4/users?in_team=${seed.team.id}`, outsider.token),
      403,
      "api.context.permissions.app_error",
    );
    expectError(
      await asAlice("GET", "/users?without_team=true"),
      403,
      "api.context.permissions.app_error",
    );
    expectError(
      await api(sandbox.url, "GET", "/api/v4/users", null),
      401,
      "api.context.session_expired.app_error",
    );
  });
});

describe("POST /users/ids and /users/usernames", () => {
  it("list the users found, sanitised, the caller included; unknown ones are left out", async () => {
    const byIds = await asAlice("POST", "/users/ids", [
      alice().user.id,
      seed.bot.user.id,
      "x".repeat(26),
    ]);
    expectProfiles(byIds);
    expect(usernames(byIds).sort()).toEqual(["alice", "todobot"]);
    const byNames = await asAlice("POST", "/users/usernames", ["bob", "nobody"]);
    expectProfiles(byNames);
    expect(usernames(byNames)).toEqual(["bob"]);
  });

  it("since: only users updated after it", async () => {
    expect(
      (await asAlice("POST", `/users/ids?since=${Date.now() + 1000}`, [alice().user.id])).body,
    ).toEqual([]);
    expectError(
      await asAlice("POST", "/users/ids?since=soon", [alice().user.id]),
      400,
      "api.context.invalid_body_param.app_error",
    );
  });

  it("an empty or malformed list is 400 naming it", async () => {
    for (const [path, body] of [
      ["/users/ids", []],
      ["/users/ids", "{"],
      ["/users/usernames", { a: 1 }],
    ] as const) {
      const result = await asAlice("POST", path, body);
      expectError(result, 400, "api.context.invalid_body_param.app_error");
      expect((result.body as { message: string }).message).toMatch(
        path.endsWith("ids") ? /user_ids/ : /usernames/,
      );
    }
  });
});

describe("preferences", () => {
  it("a person starts with the tutorial_step preference the server saves at creation; a bot with none", async () => {
    expect((await asAlice("GET", "/users/me/preferences")).body).toEqual([
      { user_id: alice().user.id, category: "tutorial_step", name: alice().user.id, value: "0" },
    ]);
    expect(
      (await api(sandbox.url, "GET", "/api/v4/users/me/preferences", seed.bot.token)).body,
    ).toEqual([]);
  });

  it("PUT saves them (replacing by category and name) and tells the user's connections", async () => {
    const socket = await TestSocket.open(sandbox.url, { token: alice().token });
    await socket.event("hello");
    const me = alice().user.id;
    const saved = [
      { user_id: me, category: "display_settings", name: "use_military_time", value: "true" },
    ];
    const put = await asAlice("PUT", `/users/${me}/preferences`, saved);
    expect(put.status, put.text).toBe(200);
    expect(put.body).toEqual({ status: "OK" });
    const event = await socket.event("preferences_changed");
    expect(JSON.parse(String(event.json.data!.preferences))).toEqual(saved);
    expect(event.json.broadcast).toMatchObject({ user_id: me, channel_id: "" });
    await asAlice("PUT", "/users/me/preferences", [{ ...saved[0], value: "false" }]);
    const all = (await asAlice("GET", "/users/me/preferences")).body as Array<{
      category: string;
      value: string;
    }>;
    expect(all.filter((p) => p.category === "display_settings")).toEqual([
      { ...saved[0], value: "false" },
    ]);
    expect((await asAlice("GET", "/users/me/preferences/display_settings")).body).toEqual([
      { ...saved[0], value: "false" },
    ]);
    socket.close();
  });

  it("delete removes the named ones", async () => {
    const me = alice().user.id;
    const pref = {
      user_id: me,
      category: "direct_channel_show",
      name: seed.users.bob.user.id,
      value: "true",
    };
    await asAlice("PUT", "/users/me/preferences", [pref]);
    expect((await asAlice("POST", "/users/me/preferences/delete", [pref])).body).toEqual({
      status: "OK",
    });
    expectError(
      await asAlice("GET", "/users/me/preferences/direct_channel_show"),
      404,
      "api.preference.preferences_category.get.app_error",
    );
  });

  it("refuses another user's preferences, a preference naming another user, and a body that is not a list", async () => {
    const bob = seed.users.bob.user.id;
    expectError(
      await asAlice("GET", `/users/${bob}/preferences`),
      403,
      "api.context.permissions.app_error",
    );
    expectError(
      await asAlice("PUT", `/users/${bob}/preferences`, []),
      403,
      "api.context.permissions.app_error",
    );
    const forBob = [{ user_id: bob, category: "display_settings", name: "x", value: "y" }];
    expectError(
      await asAlice("PUT", "/users/me/preferences", forBob),
      403,
      "api.preference.update_preferences.set.app_error",
    );
    expectError(
      await asAlice("PUT", "/users/me/preferences", { category: "x" }),
      400,
      "api.context.invalid_body_param.app_error",
    );
    const tooLong = [{ user_id: alice().user.id, category: "c".repeat(33), name: "x", value: "y" }];
    expectError(
      await asAlice("PUT", "/users/me/preferences", tooLong),
      400,
      "model.preference.is_valid.category.app_error",
    );
  });
});

describe("statuses", () => {
  it("POST /users/status/ids: a status for each id (offline when the server has none), online once connected", async () => {
    const keys = ["dnd_end_time", "last_activity_at", "manual", "status", "user_id"];
    const before = await asAlice("POST", "/users/status/ids", [seed.bot.user.id]);
    expect(before.body).toEqual([
      {
        user_id: seed.bot.user.id,
        status: "offline",
        manual: false,
        last_activity_at: 0,
        dnd_end_time: 0,
      },
    ]);
    const socket = await TestSocket.open(sandbox.url, { token: seed.bot.token });
    await socket.event("status_change");
    const after = (await asAlice("POST", "/users/status/ids", [seed.bot.user.id])).body as Array<
      Record<string, unknown>
    >;
    expect(after[0]).toMatchObject({ status: "online" });
    expect(Object.keys(after[0]!).sort()).toEqual(keys);
    expect(
      Object.keys(
        (await asAlice("GET", `/users/${seed.users.admin.user.id}/status`)).body as object,
      ).sort(),
    ).toEqual(keys);
    socket.close();
  });

  it("refuses an empty list or an id that is not one", async () => {
    expectError(
      await asAlice("POST", "/users/status/ids", []),
      400,
      "api.context.invalid_body_param.app_error",
    );
    expectError(
      await asAlice("POST", "/users/status/ids", ["bob"]),
      400,
      "api.context.invalid_body_param.app_error",
    );
  });
});

describe("the caller's teams and channel memberships", () => {
  it("team members, unreads, one team member", async () => {
    const member = {
      team_id: seed.team.id,
      user_id: alice().user.id,
      roles: "team_user",
      delete_at: 0,
      scheme_guest: false,
      scheme_user: true,
      scheme_admin: false,
      explicit_roles: "",
    };
    expect((await asAlice("GET", "/users/me/teams/members")).body).toEqual([member]);
    // one member is under the team, as on the server (there is no /users/{id}/teams/{team}/members route)
    expect((await asAlice("GET", `/teams/${seed.team.id}/members/me`)).body).toEqual(member);
    expect((await asAlice("GET", `/users/me/teams/${seed.team.id}/members`)).status).toBe(404);
    expect((await asAlice("GET", "/users/me/teams/unread")).body).toEqual([
      {
        team_id: seed.team.id,
        msg_count: 0,
        mention_count: 0,
        mention_count_root: 0,
        msg_count_root: 0,
      },
    ]);
    expect(
      (await asAlice("GET", `/users/me/teams/unread?exclude_team=${seed.team.id}`)).body,
    ).toEqual([]);
  });

  it("channel members of a team: one per channel of the caller, shaped like the recorded channels-member", async () => {
    const result = await asAlice("GET", `/users/me/teams/${seed.team.id}/channels/members`);
    expect(result.status, result.text).toBe(200);
    const members = result.body as Array<{ channel_id: string; user_id: string }>;
    const channels = (await asAlice("GET", `/users/me/teams/${seed.team.id}/channels`))
      .body as Channel[];
    expect(members.map((m) => m.channel_id).sort()).toEqual(channels.map((c) => c.id).sort());
    expect(shapeDiff(members, [loadRest("channels-member").response.body])).toEqual([]);
  });

  it("another user's are 403", async () => {
    const bob = seed.users.bob.user.id;
    for (const path of [
      `/users/${bob}/teams/members`,
      `/users/${bob}/teams/unread`,
      `/users/${bob}/teams/${seed.team.id}/channels/members`,
    ]) {
      expectError(await asAlice("GET", path), 403, "api.context.permissions.app_error");
    }
  });
});

describe("profile pictures and posts", () => {
  it("GET /users/{id}/image is a PNG", async () => {
    const res = await fetch(`${sandbox.url}/api/v4/users/${seed.users.bob.user.id}/image`, {
      headers: { Authorization: `Bearer ${alice().token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 8)).toEqual(
      Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    );
    expect(
      (
        await fetch(`${sandbox.url}/api/v4/users/${"x".repeat(26)}/image`, {
          headers: { Authorization: `Bearer ${alice().token}` },
        })
      ).status,
    ).toBe(404);
  });

  it("a post without channel_id is 403 like one in a channel the caller may not post in (recorded posts-create-not-member)", async () => {
    const recorded = loadRest("posts-create-not-member").response;
    const result = await asAlice("POST", "/posts", { message: "where does this go?" });
    expectError(result, recorded.status, (recorded.body as { id: string }).id);
  });
});
