/**
 * Mattermost's own JavaScript client (`@mattermost/client`: Client4 and WebSocketClient, what
 * the webapp is built on) against the sandbox: a scripted session of a person's client, with
 * nothing logged but the client's own "connecting" line.
 */
import mattermostClient from "@mattermost/client";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";

const { Client4, WebSocketClient } = mattermostClient;

let sandbox: Sandbox;
let seed: SeedResult;
/** Everything the clients wrote to the console. */
const logged: string[] = [];
const hadWebSocket = "WebSocket" in globalThis;

beforeAll(async () => {
  // asserts the 5.37 server's version in ping's reply
  sandbox = await Sandbox.start({ version: "5.37" });
  seed = sandbox.seed();
  // Node 20 has no global WebSocket; the client checks `WebSocket.OPEN`, as in a browser
  if (!hadWebSocket) Object.assign(globalThis, { WebSocket });
  for (const level of ["log", "info", "warn", "error"] as const) {
    vi.spyOn(console, level).mockImplementation(
      (...args: unknown[]) => void logged.push(`${level}: ${args.map(String).join(" ")}`),
    );
  }
});

afterAll(async () => {
  vi.restoreAllMocks();
  if (!hadWebSocket) Reflect.deleteProperty(globalThis, "WebSocket");
  await sandbox.close();
});

/** An event as the client hands it to listeners (its own type is a union of every event). */
interface Message {
  event: string;
  seq: number;
  data: Record<string, unknown>;
}

/** Resolves with the first message a listener sees that matches. */
function nextMessage(
  ws: InstanceType<typeof WebSocketClient>,
  match: (m: Message) => boolean,
  timeoutMs = 3_000,
): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no matching WebSocket message")), timeoutMs);
    const listener = (event: unknown) => {
      const m = event as Message;
      if (!match(m)) return;
      clearTimeout(timer);
      ws.removeMessageListener(listener);
      resolve(m);
    };
    ws.addMessageListener(listener);
  });
}

/** A request over the WebSocket (ping, user_typing...) and the server's reply. */
function ask<T>(send: (callback: (reply: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no reply")), 3_000);
    send((reply) => (clearTimeout(timer), resolve(reply)));
  });
}

describe("@mattermost/client against the sandbox", () => {
  it("logs in, loads what a client loads at startup, posts and hears the post over its WebSocket", async () => {
    const client = new Client4();
    client.setUrl(sandbox.url);
    const me = await client.login("alice", seed.users.alice.password);
    expect(me.username).toBe("alice");
    expect(client.getToken()).toMatch(/^[a-z0-9]{26}$/);

    expect((await client.getMe()).id).toBe(me.id);
    const teams = await client.getMyTeams();
    expect(teams.map((t) => t.name)).toEqual(["acme"]);
    const team = teams[0]!;
    expect(await client.getMyTeamMembers()).toEqual([
      expect.objectContaining({ team_id: team.id, user_id: me.id, roles: "team_user" }),
    ]);
    expect(await client.getMyTeamUnreads()).toEqual([
      expect.objectContaining({ team_id: team.id, msg_count: 0, mention_count: 0 }),
    ]);

    const channels = await client.getMyChannels(team.id);
    expect(channels.map((c) => c.name).sort()).toEqual(["off-topic", "ops", "town-square"]);
    const members = await client.getMyChannelMembers(team.id);
    expect(members.map((m) => m.channel_id).sort()).toEqual(channels.map((c) => c.id).sort());

    const profiles = await client.getProfilesInTeam(team.id, 0, 60);
    expect(profiles.map((p) => p.username)).toEqual(["admin", "alice", "bob", "todobot"]);
    for (const profile of profiles) expect(profile).not.toHaveProperty("notify_props");
    expect(await client.getProfilesInTeam(team.id, 1, 60)).toEqual([]);
    expect((await client.getProfilesByIds([seed.bot.user.id])).map((p) => p.username)).toEqual([
      "todobot",
    ]);
    expect((await client.getProfilesByUsernames(["bob"])).map((p) => p.id)).toEqual([
      seed.users.bob.user.id,
    ]);

    const preferences = await client.getMyPreferences();
    expect(preferences).toContainEqual({
      user_id: me.id,
      category: "tutorial_step",
      name: me.id,
      value: "0",
    });
    await client.savePreferences(me.id, [
      { user_id: me.id, category: "display_settings", name: "use_military_time", value: "true" },
    ]);
    expect(await client.getMyPreferences()).toContainEqual({
      user_id: me.id,
      category: "display_settings",
      name: "use_military_time",
      value: "true",
    });

    const picture = await fetch(client.getProfilePictureUrl(me.id, 0), {
      headers: { Authorization: `Bearer ${client.getToken()}` },
    });
    expect(picture.headers.get("content-type")).toBe("image/png");

    const ws = new WebSocketClient({
      newWebSocketFn: (url: string) => new WebSocket(url) as unknown as globalThis.WebSocket,
    });
    // like an app, keep a listener for the whole session: the client drops events nobody listens to
    const events: string[] = [];
    ws.addMessageListener((m) => void events.push((m as Message).event));
    const hello = nextMessage(ws, (m) => m.event === "hello");
    ws.initialize(client.getWebSocketUrl().replace(/^http/, "ws"), client.getToken());
    expect((await hello).seq).toBe(0);
    try {
      const pong = await ask<{ status: string; data: { text: string; version: string } }>((cb) =>
        ws.ping(cb),
      );
      expect(pong).toMatchObject({ status: "OK", data: { text: "pong", version: "5.37.0" } });
      // userTyping and getStatusesByIds are typed without the reply; sendMessage is what they call
      const typed = await ask<{ status: string }>((cb) =>
        ws.sendMessage("user_typing", { channel_id: seed.channels.ops.id, parent_id: "" }, cb),
      );
      expect(typed.status).toBe("OK");
      const statuses = await ask<{ data: Record<string, string> }>((cb) =>
        ws.sendMessage("get_statuses_by_ids", { user_ids: [me.id, seed.users.bob.user.id] }, cb),
      );
      expect(statuses.data).toEqual({ [me.id]: "online", [seed.users.bob.user.id]: "offline" });
      const online = await client.getStatusesByIds([me.id]);
      expect(online).toEqual([expect.objectContaining({ user_id: me.id, status: "online" })]);
      expect(await client.getStatus(me.id)).toMatchObject({ user_id: me.id, status: "online" });

      const ownPosted = nextMessage(ws, (m) => m.event === "posted");
      const post = await client.createPost({
        channel_id: seed.channels.townSquare.id,
        message: "hello from Client4",
      } as Parameters<typeof client.createPost>[0]);
      expect(JSON.parse((await ownPosted).data.post as string)).toMatchObject({
        id: post.id,
        message: "hello from Client4",
      });

      const bobPosted = nextMessage(
        ws,
        (m) =>
          m.event === "posted" &&
          JSON.parse(m.data.post as string).user_id === seed.users.bob.user.id,
      );
      sandbox.post(seed.users.bob.user.id, {
        channel_id: seed.channels.townSquare.id,
        message: "hi alice",
      });
      expect((await bobPosted).data).toMatchObject({
        channel_name: "town-square",
        sender_name: "@bob",
      });
      // the server marks the channel viewed for the poster (channel_viewed), as the recorded traffic shows
      expect(events).toEqual(["hello", "status_change", "posted", "channel_viewed", "posted"]);
    } finally {
      ws.close();
    }
    // the client logs only its own progress: no error, no "missed websocket event", no failed reply
    expect(
      logged.filter((line) => !/websocket connecting to|websocket closed manually/.test(line)),
    ).toEqual([]);
  });

  it("sees the server's refusals as the server words them", async () => {
    const client = new Client4();
    client.setUrl(sandbox.url);
    await client.login("bob", seed.users.bob.password);
    await expect(
      client.createPost({ message: "where?" } as Parameters<typeof client.createPost>[0]),
    ).rejects.toMatchObject({
      status_code: 403,
      server_error_id: "api.context.permissions.app_error",
    });
    await expect(client.getMyPreferences()).resolves.toBeInstanceOf(Array);
    await expect(client.savePreferences(seed.users.alice.user.id, [])).rejects.toMatchObject({
      status_code: 403,
    });
  });
});
