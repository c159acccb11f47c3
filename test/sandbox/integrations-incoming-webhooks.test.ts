/**
 * Incoming webhooks: `POST /hooks/{id}` with JSON or a `payload=` form answers `ok` and posts
 * exactly what the recorded server posted (fixtures/integrations/incoming-webhook.json and the
 * `incoming-webhook` frames of fixtures/ws/bot-connection.jsonl).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type IncomingWebhook, type SeedResult } from "../../src/sandbox/index.js";
import { loadIntegration } from "./integration-server.js";
import { api } from "./integrations-rest.js";
import { FIXTURES, loadRest, shapeDiff } from "./shape.js";

const recorded = loadIntegration<{
  json: { status: number; content_type: string; body: string };
  unknown_hook: { status: number; body: string };
  empty_body: { status: number; body: string };
}>("incoming-webhook");
/** The posts the recorded server made for the two incoming webhook calls. */
const recordedPosts: Post[] = readFileSync(join(FIXTURES, "ws", "bot-connection.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line.includes('"scenario":"incoming-webhook"'))
  .map(
    (line) =>
      JSON.parse(
        JSON.parse((JSON.parse(line) as { frame: string }).frame).data.post as string,
      ) as Post,
  );

let sandbox: Sandbox;
let seed: SeedResult;
let hook: IncomingWebhook;

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  hook = sandbox.createIncomingWebhook(seed.users.admin.user.id, {
    channel_id: seed.channels.ops.id,
    display_name: "cap incoming",
  });
});

afterAll(async () => {
  await sandbox.close();
});

const send = (id: string, body: string, contentType = "application/json") =>
  api(sandbox.url, "POST", `/hooks/${id}`, null, body, contentType);

describe("registering incoming webhooks", () => {
  it("POST /hooks/incoming as an admin answers 201 shaped like the recording; CRUD works; a person gets 403", async () => {
    const admin = seed.users.admin.token;
    const got = await api(sandbox.url, "POST", "/api/v4/hooks/incoming", admin, {
      channel_id: seed.channels.offTopic.id,
      display_name: "rest",
    });
    expect(got.status).toBe(201);
    expect(shapeDiff(got.body, loadRest("hooks-incoming-create").response.body)).toEqual([]);
    const made = got.body as IncomingWebhook;
    expect(made).toMatchObject({
      user_id: seed.users.admin.user.id,
      team_id: seed.team.id,
      channel_locked: false,
    });
    const listed = (
      await api(sandbox.url, "GET", `/api/v4/hooks/incoming?team_id=${seed.team.id}`, admin)
    ).body as IncomingWebhook[];
    expect(listed.map((h) => h.id)).toContain(made.id);
    const updated = await api(sandbox.url, "PUT", `/api/v4/hooks/incoming/${made.id}`, admin, {
      ...made,
      channel_locked: true,
      display_name: "renamed",
    });
    expect(updated.body).toMatchObject({
      channel_locked: true,
      display_name: "renamed",
      channel_id: seed.channels.offTopic.id,
    });
    expect(
      (await api(sandbox.url, "DELETE", `/api/v4/hooks/incoming/${made.id}`, admin)).body,
    ).toEqual({ status: "OK" });
    expect((await send(made.id, JSON.stringify({ text: "gone" }))).status).toBe(400);
    expect(
      (
        await api(sandbox.url, "POST", "/api/v4/hooks/incoming", seed.users.alice.token, {
          channel_id: seed.channels.ops.id,
        })
      ).status,
    ).toBe(403);
  });
});

describe("POST /hooks/{id}", () => {
  it("a JSON body answers ok as text/plain and posts with the overrides and props as recorded", async () => {
    const posted = sandbox.waitForEvent(
      (e) =>
        e.event === "posted" &&
        (JSON.parse(e.data.post as string) as Post).message.startsWith("Build"),
    );
    const got = await send(
      hook.id,
      JSON.stringify({
        text: "Build **passed** :tada:",
        username: "ci",
        icon_url: "http://127.0.0.1/x.png",
        props: { card: "details" },
      }),
    );
    expect([got.status, got.text]).toEqual([recorded.json.status, recorded.json.body]);
    expect(got.contentType).toBe(recorded.json.content_type);
    const event = await posted;
    const post = JSON.parse(event.data.post as string) as Post;
    const expected = recordedPosts[0]!;
    expect(shapeDiff(post, expected)).toEqual([]);
    expect(post).toMatchObject({
      user_id: seed.users.admin.user.id,
      channel_id: seed.channels.ops.id,
      type: expected.type,
      message: expected.message,
      props: expected.props,
    });
    expect(event.data.sender_name).toBe("ci");
  });

  it("a form with payload=<json> answers ok and posts its attachments as recorded", async () => {
    const payload = JSON.stringify({
      text: "form payload",
      attachments: [{ color: "#36a64f", pretext: "pre", text: "att text" }],
    });
    const got = await send(
      hook.id,
      `payload=${encodeURIComponent(payload)}`,
      "application/x-www-form-urlencoded",
    );
    expect([got.status, got.text]).toEqual([200, "ok"]);
    const post = await sandbox.waitForPost((p) => p.message === "form payload");
    const expected = recordedPosts[1]!;
    expect(shapeDiff(post, expected)).toEqual([]);
    expect(post).toMatchObject({
      type: "slack_attachment",
      props: expected.props,
      metadata: expected.metadata,
    });
  });

  it("an unknown hook id is the recorded 400 JSON error; an empty body the recorded 400", async () => {
    const unknown = await send("a".repeat(26), JSON.stringify({ text: "x" }));
    expect(unknown.status).toBe(recorded.unknown_hook.status);
    expect(shapeDiff(unknown.body, JSON.parse(recorded.unknown_hook.body))).toEqual([]);
    expect((unknown.body as { id: string }).id).toBe("web.incoming_webhook.invalid.app_error");
    const empty = await send(hook.id, "");
    expect(empty.status).toBe(recorded.empty_body.status);
    expect((empty.body as { id: string }).id).toBe(
      (JSON.parse(recorded.empty_body.body) as { id: string }).id,
    );
    const malformed = await send(hook.id, "{not json");
    expect([malformed.status, (malformed.body as { id: string }).id]).toEqual([
      400,
      "model.incoming_hook.parse_data.app_error",
    ]);
  });

  it("the payload's channel picks another channel (#name) or a DM (@user); a locked hook refuses them", async () => {
    expect(
      (await send(hook.id, JSON.stringify({ text: "to off-topic", channel: "#off-topic" }))).status,
    ).toBe(200);
    expect(sandbox.channelPosts(seed.channels.offTopic.id).at(-1)?.message).toBe("to off-topic");
    expect(
      (await send(hook.id, JSON.stringify({ text: "to alice", channel: "@alice" }))).status,
    ).toBe(200);
    const dm = sandbox.directChannel(seed.users.admin.user.id, seed.users.alice.user.id);
    expect(sandbox.channelPosts(dm.id).at(-1)?.message).toBe("to alice");
    const missing = await send(hook.id, JSON.stringify({ text: "x", channel: "nowhere" }));
    expect([missing.status, (missing.body as { id: string }).id]).toEqual([
      400,
      "web.incoming_webhook.channel.app_error",
    ]);
    const locked = sandbox.createIncomingWebhook(seed.users.admin.user.id, {
      channel_id: seed.channels.ops.id,
      channel_locked: true,
    });
    const refused = await send(locked.id, JSON.stringify({ text: "x", channel: "off-topic" }));
    expect([refused.status, (refused.body as { id: string }).id]).toEqual([
      403,
      "web.incoming_webhook.channel_locked.app_error",
    ]);
  });

  it("with the override settings off, username and icon are not applied", async () => {
    const strict = await Sandbox.start({
      integrations: { enablePostUsernameOverride: false, enablePostIconOverride: false },
    });
    try {
      const world = strict.seed();
      const strictHook = strict.createIncomingWebhook(world.users.admin.user.id, {
        channel_id: world.channels.ops.id,
        display_name: "d",
      });
      await api(
        strict.url,
        "POST",
        `/hooks/${strictHook.id}`,
        null,
        JSON.stringify({ text: "plain", username: "ci", icon_url: "http://x/y.png" }),
      );
      const post = await strict.waitForPost((p) => p.message === "plain");
      expect(post.props).toEqual({ from_webhook: "true", webhook_display_name: "d" });
    } finally {
      await strict.close();
    }
  });
});
