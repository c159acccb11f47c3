/**
 * The WebSocket contract: the recorded traffic of a real Mattermost 5.37 (fixtures/ws) replayed
 * against the sandbox. Each recorded scenario is acted out the same way (through the REST API as
 * the bot, or the sandbox's API as alice) and the frames the sandbox sends must be the recorded
 * ones: same order, same `seq`, same envelope, same keys and value types at every level —
 * including the JSON strings inside (`data.post`, `data.reaction`, `data.mentions`). Ids and
 * times may differ.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { IntegrationServer } from "./integration-server.js";
import { FIXTURES, loadRest, shapeDiff } from "./shape.js";
import { TestSocket, type Frame } from "./ws-client.js";

type Json = Record<string, unknown>;
interface Recorded {
  scenario: string;
  t: number;
  frame?: string;
  sent?: string;
}

const RECORDED: Recorded[] = readFileSync(join(FIXTURES, "ws", "bot-connection.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Recorded);

/** The frames the bot received during a scenario, parsed. */
function recordedFrames(scenario: string): Json[] {
  const frames = RECORDED.filter((r) => r.scenario === scenario && r.frame !== undefined).map(
    (r) => JSON.parse(r.frame!) as Json,
  );
  if (frames.length === 0) throw new Error(`no recorded frames for scenario ${scenario}`);
  return frames;
}

/** A recorded frame of that event (to compare a frame the recording has in another scenario). */
function recordedEvent(
  scenario: string,
  event: string,
  where: (f: Json) => boolean = () => true,
): Json {
  const found = recordedFrames(scenario).find((f) => f.event === event && where(f));
  if (!found) throw new Error(`no ${event} in scenario ${scenario}`);
  return found;
}

// the scenarios driven through the sandbox's integrations and a real integration server, after the reconnects
const INTEGRATION_SCENARIOS = [
  "outgoing-webhook-form",
  "outgoing-webhook-json",
  "outgoing-webhook-bot-post",
  "outgoing-webhook-500",
  "slash-in-channel",
  "slash-ephemeral",
  "slash-response-url",
  "action-button",
  "incoming-webhook",
];
const RECONNECT_SCENARIOS = [
  "reconnect-with-connection-id",
  "reconnect-with-unknown-connection-id",
];

/** Fields whose value is JSON encoded in a string: decoded to compare their shape too. */
const ENCODED_FIELDS = ["post", "reaction", "mentions"];

function decoded(frame: Json): Json {
  const data = frame.data;
  if (typeof data !== "object" || data === null || Array.isArray(data)) return frame;
  const out: Json = { ...(data as Json) };
  for (const key of ENCODED_FIELDS) {
    const value = out[key];
    if (typeof value === "string") out[key] = { decoded: JSON.parse(value) as unknown };
  }
  return { ...frame, data: out };
}

/** `posted#3`, `reply#1`: what a frame is and where it sits in its connection. */
const label = (f: Json): string =>
  typeof f.event === "string"
    ? `${f.event}#${String(f.seq)}`
    : `reply#${String(f.seq_reply)}:${String(f.status)}`;

/** The sandbox's frames are the recorded ones: order, seq, top-level key order, shapes inside. */
function expectFramesLike(got: Frame[], expected: Json[], roles?: Record<string, string>): void {
  expect(got.map((f) => label(f.json))).toEqual(expected.map(label));
  got.forEach((frame, i) => {
    const want = expected[i]!;
    expect(frame.raw.endsWith("\n"), "frames end with a newline").toBe(true);
    expect(Object.keys(frame.json), label(want)).toEqual(Object.keys(want));
    expect(shapeDiff(decoded(frame.json), decoded(want)), label(want)).toEqual([]);
    if (roles)
      expect(normalised(decoded(frame.json), roles), label(want)).toEqual(
        normalised(decoded(want), FIXTURE_ROLES),
      );
  });
}

// fixture ids → what they stand for (the sandbox's ids are mapped to the same names)
const FIXTURE_ROLES: Record<string, string> = {
  "5yd48nkmn38cujdwjpoymbn9to": "bot",
  p4x93acafj8gij314cqbp7gsoe: "alice",
  t1441btrapg77fdwrss65cw41y: "admin",
  "3ahjq17e57yet8xhk4ix4ubsuo": "team",
  s5m6haaditfdmcrw46zwuj6khc: "ops",
  "5uz4xxknepbyzktzxrqfm9syeh": "dm",
  jdkfiktfkpbmjc8msj6degog5w: "secret",
  ziup67zupbgsumrrztucuhd9nc: "hello-post",
  gohj83rkzbntxgg36i5ym1habo: "mention-post",
  pjyqe5yfppboie7bca8y5c55zc: "reply-post",
  "3rgaojue4b8j5fthu3n68833yr": "attachments-post",
  abzrcgbfhbd95gcphuqhrsdeir: "file",
};

/**
 * The frame's VALUES with ids replaced by what they stand for (`<id>` when it does not matter)
 * and times by `<time>`: who, where, which post, counts, flags and texts must be as recorded.
 */
function normalised(value: unknown, roles: Record<string, string>, key = ""): unknown {
  if (typeof value === "string") {
    if (key === "server_version") return "<version>";
    // a DM's name: its two user ids, sorted (so the order depends on the ids)
    if (/^[a-z0-9]{26}__[a-z0-9]{26}$/.test(value))
      return value
        .split("__")
        .map((id) => roles[id] ?? "<id>")
        .sort()
        .join("__");
    return value
      .replace(/(?<![a-z0-9])[a-z0-9]{26}(?![a-z0-9])/g, (id) => roles[id] ?? "<id>")
      .replace(/\d{13}/g, "<time>");
  }
  if (typeof value === "number") return key.endsWith("_at") && value !== 0 ? "<time>" : value;
  if (Array.isArray(value)) return value.map((v) => normalised(v, roles));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [roles[k] ?? k, normalised(v, roles, k)]),
    );
  }
  return value;
}

/** Only the shape, for frames whose seq depends on the test's own history. */
function expectShapeLike(got: Frame, expected: Json): void {
  expect(got.json.event).toBe(expected.event);
  expect(Object.keys(got.json)).toEqual(Object.keys(expected));
  expect(shapeDiff(decoded(got.json), decoded(expected)), String(expected.event)).toEqual([]);
}

/** The frames a socket receives while `act` runs (and everything the server sent for it). */
async function framesDuring(
  socket: TestSocket,
  act: () => Promise<unknown> | unknown,
): Promise<Frame[]> {
  const start = socket.frames.length;
  await act();
  await socket.flush();
  return socket.frames.slice(start);
}

/** A REST call; its parsed body. Throws unless the status is `expectStatus` (default: any 2xx). */
async function api<T = Json>(
  sandbox: Sandbox,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  expectStatus?: number,
): Promise<T> {
  const res = await fetch(`${sandbox.url}/api/v4${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (expectStatus === undefined ? !res.ok : res.status !== expectStatus)
    throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

describe("the bot's connection, scenario by scenario (fixtures/ws/bot-connection.jsonl)", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  let bot: TestSocket;
  let integration: IntegrationServer;
  let firstConnectionId = "";
  const posts: Record<string, Post> = {};
  /** The sandbox's ids → what they stand for, as FIXTURE_ROLES. */
  const roles: Record<string, string> = {};
  const remember = <T extends { id: string }>(role: string, thing: T): T => (
    (roles[thing.id] = role), thing
  );
  const asBot = <T = Json>(method: string, path: string, body?: unknown, expectStatus?: number) =>
    api<T>(sandbox, seed.bot.token, method, path, body, expectStatus);
  const alice = () => seed.users.alice.user.id;
  const ops = () => seed.channels.ops.id;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ version: "5.37" }); // the recordings are a 5.37 server's
    seed = sandbox.seed();
    integration = await IntegrationServer.start();
    for (const [role, id] of Object.entries({
      bot: seed.bot.user.id,
      alice: alice(),
      admin: seed.users.admin.user.id,
      team: seed.team.id,
      ops: ops(),
    }))
      roles[id] = role;
    // the integrations of the recording session (fixtures/integrations/*.json), registered by the admin
    const admin = seed.users.admin.user.id;
    sandbox.createOutgoingWebhook(admin, {
      team_id: seed.team.id,
      channel_id: ops(),
      trigger_words: ["mmtodo"],
      callback_urls: [`${integration.url}/hook-form`],
      display_name: "cap application/x-www-form-urlencoded",
      content_type: "application/x-www-form-urlencoded",
    });
    sandbox.createOutgoingWebhook(admin, {
      team_id: seed.team.id,
      trigger_words: ["!mmtodo"],
      callback_urls: [`${integration.url}/hook-json`],
      display_name: "cap application/json",
      content_type: "application/json",
    });
    sandbox.createCommand(admin, {
      team_id: seed.team.id,
      trigger: "mmtodo",
      url: `${integration.url}/slash`,
    });
  });
  afterAll(async () => {
    bot?.close();
    await sandbox.close();
    await integration.close();
  });

  /** Acts a scenario out; the bot's connection must then receive exactly what was recorded. */
  const SCENARIOS: Record<string, () => Promise<unknown> | unknown> = {
    "alice-posts-in-channel": () =>
      (posts.hello = remember(
        "hello-post",
        sandbox.post(alice(), { channel_id: ops(), message: "hello channel" }),
      )),
    "alice-mentions-bot": () =>
      (posts.mention = remember(
        "mention-post",
        sandbox.post(alice(), { channel_id: ops(), message: "@todobot add buy milk" }),
      )),
    "bot-replies-in-thread": async () => {
      posts.reply = remember(
        "reply-post",
        await asBot<Post>("POST", "/posts", {
          channel_id: ops(),
          root_id: posts.mention!.id,
          message: "Added #1: buy milk",
        }),
      );
    },
    "alice-replies-in-thread": () =>
      sandbox.post(alice(), {
        channel_id: ops(),
        root_id: posts.mention!.id,
        message: "thanks @todobot",
      }),
    "alice-dm-bot": () => {
      const dm = remember("dm", sandbox.directChannel(seed.bot.user.id, alice()));
      sandbox.post(alice(), { channel_id: dm.id, message: "list" });
    },
    "pending-post-id": async () => {
      const body = {
        channel_id: ops(),
        message: "idempotent reply",
        pending_post_id: `${seed.bot.user.id}:${Date.now()}`,
      };
      const first = await asBot<Post>("POST", "/posts", body);
      const second = await asBot<Post>("POST", "/posts", body);
      expect(second.id).toBe(first.id);
    },
    "long-message": async () => {
      const accepted = await asBot<Post>("POST", "/posts", {
        channel_id: ops(),
        message: "x".repeat(16_383),
      });
      await asBot("POST", "/posts", { channel_id: ops(), message: "x".repeat(16_384) }, 400); // refused: no event
      const empty = await asBot<Post>("POST", "/posts", { channel_id: ops(), message: "" });
      expect([accepted.message.length, empty.message]).toEqual([16_383, ""]);
    },
    attachments: async () => {
      // the buttons point at this test's integration server (clients never see the URL)
      const body = JSON.parse(
        JSON.stringify(loadRest("posts-create-attachments").request.body).replaceAll(
          "http://127.0.0.1:9191",
          integration.url,
        ),
      ) as Json;
      posts.attachments = remember(
        "attachments-post",
        await asBot<Post>("POST", "/posts", { ...body, channel_id: ops() }),
      );
    },
    "bot-edits": () =>
      asBot("PUT", `/posts/${posts.reply!.id}/patch`, { message: "Added #1: buy oat milk" }),
    "alice-edits": () => sandbox.editPost(alice(), posts.hello!.id, "hello channel (edited)"),
    reaction: () =>
      asBot("POST", "/reactions", {
        user_id: seed.bot.user.id,
        post_id: posts.mention!.id,
        emoji_name: "white_check_mark",
      }),
    "reaction-by-alice": () => sandbox.react(alice(), posts.reply!.id, "thumbsup"),
    "reaction-removed": () =>
      api(
        sandbox,
        seed.users.alice.token,
        "DELETE",
        `/users/${alice()}/posts/${posts.reply!.id}/reactions/thumbsup`,
      ),
    "alice-typing": () => sandbox.typing(alice(), ops()),
    "alice-deletes": () => sandbox.deletePost(alice(), posts.hello!.id),
    "bot-deletes": () => asBot("DELETE", `/posts/${posts.reply!.id}`),
    "post-with-file": async () => {
      const form = new FormData();
      form.append("channel_id", ops());
      form.append("files", new Blob(["buy milk\n1.\n"], { type: "text/plain" }), "todo.txt");
      const res = await fetch(`${sandbox.url}/api/v4/files`, {
        method: "POST",
        headers: { Authorization: `Bearer ${seed.bot.token}` },
        body: form,
      });
      const { file_infos } = (await res.json()) as { file_infos: Array<{ id: string }> };
      await asBot("POST", "/posts", {
        channel_id: ops(),
        message: "attached",
        file_ids: [remember("file", file_infos[0]!).id],
      });
    },
    "user-added": async () => {
      const admin = seed.users.admin.token;
      const secret = remember(
        "secret",
        await api<{ id: string }>(sandbox, admin, "POST", "/channels", {
          team_id: seed.team.id,
          name: "secret71258",
          display_name: "secret",
          type: "P",
        }),
      );
      await api(sandbox, admin, "POST", `/channels/${secret.id}/members`, {
        user_id: seed.bot.user.id,
      });
    },
  };

  it("names every recorded scenario: acted out here, a reconnect below, or an integration", () => {
    const recorded = [...new Set(RECORDED.map((r) => r.scenario))];
    const known = [
      "connect",
      ...Object.keys(SCENARIOS),
      ...RECONNECT_SCENARIOS,
      ...INTEGRATION_SCENARIOS,
    ];
    expect(recorded.filter((s) => !known.includes(s))).toEqual([]);
    expect(known.filter((s) => !recorded.includes(s))).toEqual([]);
    // acted out in the recorded order: the seq numbers carry on from one scenario to the next
    expect(Object.keys(SCENARIOS)).toEqual(recorded.filter((s) => s in SCENARIOS));
  });

  it("connect: authentication_challenge → hello (seq 0), the reply, then status_change online", async () => {
    const sent = RECORDED.find((r) => r.scenario === "connect" && r.sent !== undefined)!;
    const challenge = JSON.parse(sent.sent!) as Json;
    bot = await TestSocket.open(sandbox.url);
    const frames = await framesDuring(bot, async () => {
      bot.send({ ...challenge, data: { token: seed.bot.token } });
      await bot.next((f) => f.json.seq_reply === 1);
    });
    expectFramesLike(frames, recordedFrames("connect"), roles);
    firstConnectionId = String(frames[0]!.json.data!.connection_id);
    expect(firstConnectionId).toMatch(/^[a-z0-9]{26}$/);
    expect(frames[0]!.json.data!.server_version).toMatch(/^5\.37\.0/);
  });

  for (const [scenario, act] of Object.entries(SCENARIOS)) {
    it(scenario, async () => {
      expectFramesLike(await framesDuring(bot, act), recordedFrames(scenario), roles);
    });
  }

  it("an ephemeral post to alice is not seen by the bot (README: observed behaviour)", async () => {
    // only a system admin may send one (create_post_ephemeral): the bot is one for this step
    sandbox.setRoles(seed.bot.user.id, "system_user system_admin");
    try {
      const frames = await framesDuring(bot, () =>
        asBot(
          "POST",
          "/posts/ephemeral",
          { user_id: alice(), post: { channel_id: ops(), message: "only alice sees this" } },
          201,
        ),
      );
      expect(frames).toEqual([]);
    } finally {
      sandbox.setRoles(seed.bot.user.id, "system_user");
    }
  });

  it("reconnect-with-connection-id: with the challenge, the old id is not resumed (new id, nothing replayed)", async () => {
    const lastSeq = bot.events().at(-1)!.json.seq!;
    const offline = sandbox.waitForEvent(
      (e) => e.event === "status_change" && e.data.status === "offline",
    );
    bot.close();
    await bot.closed;
    await offline;
    sandbox.post(alice(), { channel_id: ops(), message: "while the bot was away" }); // must not be replayed
    bot = await TestSocket.open(sandbox.url, {
      query: `connection_id=${firstConnectionId}&sequence_number=${lastSeq + 1}`,
    });
    const frames = await framesDuring(bot, async () => {
      bot.send({ seq: 1, action: "authentication_challenge", data: { token: seed.bot.token } });
      await bot.next((f) => f.json.seq_reply === 1);
    });
    expectFramesLike(frames, recordedFrames("reconnect-with-connection-id"), roles);
    expect(frames[0]!.json.data!.connection_id).not.toBe(firstConnectionId);
  });

  it("reconnect-with-unknown-connection-id: a new connection as well", async () => {
    const recorded = recordedFrames("reconnect-with-unknown-connection-id");
    // The recording also has the bot's `offline` (seq 1): the real server sets it asynchronously
    // after the previous socket closed, and here it lost the race against the new connection (in
    // reconnect-with-connection-id it did not). The sandbox announces it when the socket closes,
    // before the new connection exists; its shape is checked in the reliable-reconnect suite.
    const [hello, ok, offlineFrame, online] = recorded;
    expect([offlineFrame!.event, (offlineFrame!.data as Json).status, online!.event]).toEqual([
      "status_change",
      "offline",
      "status_change",
    ]);
    const expected = [hello!, ok!, { ...online!, seq: 1 }];
    const offline = sandbox.waitForEvent(
      (e) => e.event === "status_change" && e.data.status === "offline",
    );
    bot.close();
    await bot.closed;
    await offline;
    bot = await TestSocket.open(sandbox.url, {
      query: `connection_id=${"u".repeat(26)}&sequence_number=5`,
    });
    const frames = await framesDuring(bot, async () => {
      bot.send({ seq: 1, action: "authentication_challenge", data: { token: seed.bot.token } });
      await bot.next((f) => f.json.seq_reply === 1);
    });
    expectFramesLike(frames, expected, roles);
  });

  /** The integration scenarios as recorded: what the integration answered, and who did what. */
  const INTEGRATION_ACTS: Record<string, () => Promise<unknown>> = {
    "outgoing-webhook-form": async () => {
      integration.answer("/hook-form", {
        body: { text: "ok from hook", response_type: "comment" },
      });
      posts.trigger = sandbox.post(alice(), { channel_id: ops(), message: "mmtodo add buy milk" });
      await sandbox.settleIntegrations();
    },
    "outgoing-webhook-json": async () => {
      integration.answer("/hook-json", {
        body: { text: "json answer", username: "override", props: { from: "hook" } },
      });
      sandbox.post(alice(), {
        channel_id: ops(),
        message: "!mmtodo list",
        root_id: posts.trigger!.id,
      });
      await sandbox.settleIntegrations();
    },
    "outgoing-webhook-bot-post": async () => {
      integration.answer("/hook-form", { body: {} });
      integration.requests.length = 0;
      const post = await asBot<Post>("POST", "/posts", {
        channel_id: ops(),
        message: "mmtodo from the bot itself",
      });
      expect((await integration.next("/hook-form")).parsedBody).toMatchObject({
        post_id: post.id,
        user_name: "todobot",
      });
      await sandbox.settleIntegrations();
    },
    "outgoing-webhook-500": async () => {
      integration.answer("/hook-form", { status: 500, body: "boom" });
      sandbox.post(alice(), { channel_id: ops(), message: "mmtodo fail please" });
      await sandbox.settleIntegrations();
    },
    "slash-in-channel": () => {
      const context = { action: "done", item: 1 };
      const attachments = [
        {
          text: "1. buy milk",
          actions: [
            {
              id: "done1",
              name: "Done",
              integration: { url: `${integration.url}/actions`, context },
            },
          ],
        },
      ];
      integration.answer("/slash", {
        body: { response_type: "in_channel", text: "Your list", attachments },
      });
      return sandbox.runSlashCommand(alice(), ops(), "/mmtodo list");
    },
    "slash-ephemeral": () => {
      integration.answer("/slash", {
        body: {
          response_type: "ephemeral",
          text: "only you see this",
          extra_responses: [{ response_type: "in_channel", text: "extra" }],
        },
      });
      return sandbox.runSlashCommand(alice(), ops(), "/mmtodo secret");
    },
    "slash-response-url": async () => {
      integration.answer("/slash", { body: {} });
      integration.requests.length = 0;
      await sandbox.runSlashCommand(alice(), ops(), "/mmtodo later");
      const request = await integration.next("/slash");
      const delayed = await fetch(String(request.parsedBody.response_url), {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          response_type: "in_channel",
          text: "delayed answer via response_url",
        }),
      });
      expect(await delayed.text()).toBe("ok");
    },
    "action-button": () => {
      integration.answer("/actions", {
        body: {
          update: { message: "Todo list (1 done)", props: {} },
          ephemeral_text: "Marked done",
        },
      });
      return sandbox.clickAction(alice(), posts.attachments!.id, "done1");
    },
    "incoming-webhook": async () => {
      const hook = sandbox.createIncomingWebhook(seed.users.admin.user.id, {
        channel_id: ops(),
        display_name: "cap incoming",
      });
      const send = (body: string, contentType: string) =>
        fetch(`${sandbox.url}/hooks/${hook.id}`, {
          method: "POST",
          headers: { "Content-Type": contentType },
          body,
        }).then((r) => r.text());
      expect(
        await send(
          JSON.stringify({
            text: "Build **passed** :tada:",
            username: "ci",
            icon_url: "http://127.0.0.1/x.png",
            props: { card: "details" },
          }),
          "application/json",
        ),
      ).toBe("ok");
      const payload = JSON.stringify({
        text: "form payload",
        attachments: [{ color: "#36a64f", pretext: "pre", text: "att text" }],
      });
      expect(
        await send(`payload=${encodeURIComponent(payload)}`, "application/x-www-form-urlencoded"),
      ).toBe("ok");
    },
  };

  it("acts out every integration scenario, in the recorded order", () => {
    expect(Object.keys(INTEGRATION_ACTS)).toEqual(INTEGRATION_SCENARIOS);
  });

  for (const scenario of INTEGRATION_SCENARIOS) {
    it(scenario, async () => {
      // the recorded connection had one frame more before these (the late `offline`, see above): seq one higher
      const expected = recordedFrames(scenario).map((f) => ({ ...f, seq: Number(f.seq) - 1 }));
      expectFramesLike(await framesDuring(bot, INTEGRATION_ACTS[scenario]!), expected, roles);
    });
  }
});

describe("a person's connection: replies to actions (fixtures/ws/human-connection-actions.json)", () => {
  const fixture = JSON.parse(
    readFileSync(join(FIXTURES, "ws", "human-connection-actions.json"), "utf8"),
  ) as { frames: string[] };
  let sandbox: Sandbox;
  let seed: SeedResult;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ version: "5.37" }); // the recordings are a 5.37 server's
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());

  it("challenge, user_typing and get_statuses each get {status: OK, seq_reply}; get_statuses with the statuses", async () => {
    const bot = await TestSocket.open(sandbox.url, { token: seed.bot.token });
    await bot.event("hello");
    // recorded: alice was already online (she had been using the REST API), so her connection gets no status_change
    sandbox.post(seed.users.alice.user.id, { channel_id: seed.channels.ops.id, message: "hi" });
    const alice = await TestSocket.open(sandbox.url);
    const frames = await framesDuring(alice, async () => {
      alice.send({
        seq: 1,
        action: "authentication_challenge",
        data: { token: seed.users.alice.token },
      });
      alice.send({
        seq: 2,
        action: "user_typing",
        data: { channel_id: seed.channels.ops.id, parent_id: "" },
      });
      alice.send({ seq: 3, action: "get_statuses" });
      await alice.next((f) => f.json.seq_reply === 3);
    });
    const roles = { [seed.bot.user.id]: "bot", [seed.users.alice.user.id]: "alice" };
    expectFramesLike(
      frames,
      fixture.frames.map((raw) => JSON.parse(raw) as Json),
      roles,
    );
    // the typing went to the others in the channel
    expectShapeLike(await bot.event("typing"), recordedEvent("alice-typing", "typing"));
    alice.close();
    bot.close();
  });
});

describe("reliable reconnect (fixtures/ws/reliable-reconnect.json)", () => {
  const fixture = JSON.parse(
    readFileSync(join(FIXTURES, "ws", "reliable-reconnect.json"), "utf8"),
  ) as {
    frames: Array<{ tag: string; event: string; seq: number; msg?: string }>;
  };
  let sandbox: Sandbox;
  let seed: SeedResult;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ version: "5.37" }); // the recordings are a 5.37 server's
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());

  /** The recorded frames of the fixture's events (it keeps only event, seq and message): from the bot's recording. */
  const sampleOf = (event: string, status?: string): Json =>
    event === "hello"
      ? recordedEvent("connect", "hello")
      : event === "posted"
        ? recordedEvent("alice-posts-in-channel", "posted")
        : recordedEvent(
            "reconnect-with-unknown-connection-id",
            event,
            (f) => (f.data as Json).status === status,
          );

  /** Frame by frame: the fixture's event, seq and message, and the shape of a recorded frame of that event. */
  function expectLikeFixture(got: Frame[], tag: string, statuses: string[]): void {
    const expected = fixture.frames.filter((f) => f.tag === tag);
    expect(got.map((f) => label(f.json))).toEqual(expected.map((f) => `${f.event}#${f.seq}`));
    let status = 0;
    got.forEach((frame, i) => {
      const want = expected[i]!;
      if (want.event === "posted")
        expect((JSON.parse(String(frame.json.data!.post)) as Post).message).toBe(want.msg);
      expectShapeLike(
        frame,
        sampleOf(want.event, want.event === "status_change" ? statuses[status++] : undefined),
      );
    });
  }

  it("the header-authenticated connection resumes with ?connection_id=&sequence_number=: missed events replayed with their seq, no new hello", async () => {
    const alice = seed.users.alice.user.id;
    const ops = seed.channels.ops.id;
    // connect with the Authorization header: no challenge, so no reply frame
    const first = await TestSocket.open(sandbox.url, { token: seed.bot.token });
    await first.next((f) => f.json.event === "status_change");
    sandbox.post(alice, { channel_id: ops, message: "before drop" });
    await first.flush();
    const before = [...first.frames];
    expectLikeFixture(before, "first", ["online"]);
    const connectionId = String(before[0]!.json.data!.connection_id);

    const offline = sandbox.waitForEvent(
      (e) => e.event === "status_change" && e.data.status === "offline",
    );
    first.close();
    await first.closed;
    await offline;
    sandbox.post(alice, { channel_id: ops, message: "missed A" });
    sandbox.post(alice, { channel_id: ops, message: "missed B" });

    const lastSeq = before.at(-1)!.json.seq!;
    const resumed = await TestSocket.open(sandbox.url, {
      token: seed.bot.token,
      query: `connection_id=${connectionId}&sequence_number=${lastSeq + 1}`,
    });
    await resumed.next((f) => f.json.seq === 6);
    await resumed.flush();
    expectLikeFixture(resumed.frames, "resumed", ["offline", "online"]);
    resumed.close();
  });
});

/**
 * Removing a member, as a real 5.37 sends it (checked against the release-5.37 build): the
 * channel's members get `user_removed` {remover_id, user_id} to the channel, then the system post;
 * the removed user gets `user_removed` {channel_id, remover_id} to them alone, and nothing else.
 */
describe("a member removed from a channel", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  beforeAll(async () => {
    sandbox = await Sandbox.start({ version: "5.37" }); // the recordings are a 5.37 server's
    seed = sandbox.seed();
  });
  afterAll(() => sandbox.close());

  it("the bot removed by alice: user_removed to it alone, the channel sees user_removed and the system post", async () => {
    const [bot, alice] = await Promise.all([
      TestSocket.open(sandbox.url, { token: seed.bot.token }),
      TestSocket.open(sandbox.url, { token: seed.users.alice.token }),
    ]);
    await Promise.all([bot.event("hello"), alice.event("hello")]);
    const ops = seed.channels.ops.id;
    const botId = seed.bot.user.id;
    const aliceId = seed.users.alice.user.id;
    const aliceBefore = alice.frames.length;
    const botFrames = await framesDuring(bot, () =>
      api(sandbox, seed.users.alice.token, "DELETE", `/channels/${ops}/members/${botId}`),
    );
    await alice.event("posted", (f) =>
      String(f.json.data?.post).includes("system_remove_from_channel"),
    );
    await alice.flush();
    expect(botFrames.map((f) => f.json)).toEqual([
      {
        event: "user_removed",
        data: { channel_id: ops, remover_id: aliceId },
        broadcast: { omit_users: null, user_id: botId, channel_id: "", team_id: "" },
        seq: expect.any(Number),
      },
    ]);
    const seen = alice.frames.slice(aliceBefore).map((f) => f.json);
    expect(seen.map((f) => f.event)).toEqual(["user_removed", "posted"]);
    expect(seen[0]).toMatchObject({
      data: { remover_id: aliceId, user_id: botId },
      broadcast: { user_id: "", channel_id: ops },
    });
    expect(seen[1]).toMatchObject({ broadcast: { channel_id: ops } });
    expect(JSON.parse(String(seen[1]!.data!.post))).toMatchObject({
      type: "system_remove_from_channel",
      message: "@todobot removed from the channel.",
      user_id: aliceId,
    });
    bot.close();
    alice.close();
  });
});
