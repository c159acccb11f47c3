/**
 * Outgoing webhooks against a real integration server: the payload must match the recorded one
 * (fixtures/integrations/outgoing-webhook-*.json) and the answer must become the recorded post.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type OutgoingWebhook, type SeedResult } from "../../src/sandbox/index.js";
import {
  formKeys,
  IntegrationServer,
  loadIntegration,
  type ReceivedRequest,
} from "./integration-server.js";
import { api } from "./integrations-rest.js";
import { loadRest, shapeDiff } from "./shape.js";

interface Recorded {
  sent_by_server: {
    method: string;
    path: string;
    headers: Record<string, string>;
    raw_body: string;
    parsed_body: Record<string, unknown>;
  };
  integration_answer: Record<string, unknown>;
  resulting_posts: Post[];
}
const form = loadIntegration<Recorded>("outgoing-webhook-form");
const json = loadIntegration<Recorded>("outgoing-webhook-json-in-thread");

let sandbox: Sandbox;
let seed: SeedResult;
let integration: IntegrationServer;
let formHook: OutgoingWebhook;
let jsonHook: OutgoingWebhook;

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  integration = await IntegrationServer.start();
  const admin = seed.users.admin.user.id;
  formHook = sandbox.createOutgoingWebhook(admin, {
    team_id: seed.team.id,
    channel_id: seed.channels.ops.id,
    trigger_words: ["mmtodo"],
    callback_urls: [`${integration.url}/hook-form`],
    display_name: "cap application/x-www-form-urlencoded",
    content_type: "application/x-www-form-urlencoded",
  });
  jsonHook = sandbox.createOutgoingWebhook(admin, {
    team_id: seed.team.id,
    trigger_words: ["!mmtodo"],
    callback_urls: [`${integration.url}/hook-json`],
    display_name: "cap application/json",
    content_type: "application/json",
  });
});

afterAll(async () => {
  await sandbox.close();
  await integration.close();
});

beforeEach(async () => {
  await sandbox.settleIntegrations();
  integration.requests.length = 0;
  integration.answer("/hook-form", { body: form.integration_answer });
  integration.answer("/hook-json", { body: json.integration_answer });
});

const alice = () => seed.users.alice;
const ops = () => seed.channels.ops.id;

function expectHeadersLikeRecorded(got: ReceivedRequest, recorded: Recorded): void {
  expect(got.method).toBe(recorded.sent_by_server.method);
  for (const [name, value] of Object.entries(recorded.sent_by_server.headers))
    expect(got.headers[name], name).toBe(value);
}

describe("registering outgoing webhooks", () => {
  it("POST /hooks/outgoing as an admin answers 201 shaped like the recording", async () => {
    const got = await api(sandbox.url, "POST", "/api/v4/hooks/outgoing", seed.users.admin.token, {
      team_id: seed.team.id,
      channel_id: seed.channels.offTopic.id,
      trigger_words: ["x"],
      callback_urls: [`${integration.url}/unused`],
      display_name: "rest",
      content_type: "application/json",
    });
    expect(got.status).toBe(201);
    expect(shapeDiff(got.body, loadRest("hooks-outgoing-create").response.body)).toEqual([]);
    expect(got.body).toMatchObject({
      creator_id: seed.users.admin.user.id,
      trigger_when: 0,
      trigger_words: ["x"],
    });
    const id = (got.body as OutgoingWebhook).id;
    const listed = (
      await api(
        sandbox.url,
        "GET",
        `/api/v4/hooks/outgoing?channel_id=${seed.channels.offTopic.id}`,
        seed.users.admin.token,
      )
    ).body as OutgoingWebhook[];
    expect(listed.map((h) => h.id)).toEqual([id]);
    const updated = await api(
      sandbox.url,
      "PUT",
      `/api/v4/hooks/outgoing/${id}`,
      seed.users.admin.token,
      { ...(got.body as object), trigger_words: ["y"], trigger_when: 1 },
    );
    expect(updated.body).toMatchObject({
      id,
      trigger_words: ["y"],
      trigger_when: 1,
      callback_urls: [`${integration.url}/unused`],
    });
    const partial = await api(
      sandbox.url,
      "PUT",
      `/api/v4/hooks/outgoing/${id}`,
      seed.users.admin.token,
      { id, trigger_words: ["y"] },
    );
    expect([partial.status, (partial.body as { id: string }).id]).toEqual([
      400,
      "model.outgoing_hook.is_valid.callback.app_error",
    ]);
    const regen = (
      await api(
        sandbox.url,
        "POST",
        `/api/v4/hooks/outgoing/${id}/regen_token`,
        seed.users.admin.token,
      )
    ).body as OutgoingWebhook;
    expect(regen.token).not.toBe((got.body as OutgoingWebhook).token);
    expect(
      (await api(sandbox.url, "DELETE", `/api/v4/hooks/outgoing/${id}`, seed.users.admin.token))
        .body,
    ).toEqual({ status: "OK" });
    expect(
      (await api(sandbox.url, "GET", `/api/v4/hooks/outgoing/${id}`, seed.users.admin.token))
        .status,
    ).toBe(404);
  });

  it("refuses a person without the permission, a private channel and a hook with neither words nor channel", async () => {
    const base = {
      team_id: seed.team.id,
      trigger_words: ["z"],
      callback_urls: [`${integration.url}/unused`],
    };
    expect(
      (await api(sandbox.url, "POST", "/api/v4/hooks/outgoing", alice().token, base)).status,
    ).toBe(403);
    const secret = sandbox.createChannel({
      team_id: seed.team.id,
      name: "secret-hooks",
      type: "P",
    });
    const priv = await api(sandbox.url, "POST", "/api/v4/hooks/outgoing", seed.users.admin.token, {
      ...base,
      channel_id: secret.id,
    });
    expect([priv.status, (priv.body as { id: string }).id]).toEqual([
      403,
      "api.webhook.create_outgoing.not_open.app_error",
    ]);
    const none = await api(sandbox.url, "POST", "/api/v4/hooks/outgoing", seed.users.admin.token, {
      ...base,
      trigger_words: [],
    });
    expect([none.status, (none.body as { id: string }).id]).toEqual([
      400,
      "api.webhook.create_outgoing.triggers.app_error",
    ]);
  });
});

describe("firing", () => {
  it("form content type: the recorded form (strings, seconds) and a comment answer replies in the thread", async () => {
    const post = sandbox.post(alice().user.id, {
      channel_id: ops(),
      message: "mmtodo add buy milk",
    });
    const request = await integration.next("/hook-form");
    expectHeadersLikeRecorded(request, form);
    expect(formKeys(request.rawBody)).toEqual(formKeys(form.sent_by_server.raw_body));
    expect(shapeDiff(request.parsedBody, form.sent_by_server.parsed_body)).toEqual([]);
    expect(request.parsedBody).toEqual({
      channel_id: ops(),
      channel_name: "ops",
      file_ids: "",
      post_id: post.id,
      team_domain: "acme",
      team_id: seed.team.id,
      text: "mmtodo add buy milk",
      timestamp: String(Math.floor(post.create_at / 1000)),
      token: formHook.token,
      trigger_word: "mmtodo",
      user_id: alice().user.id,
      user_name: "alice",
    });
    expect(request.rawBody).toContain("text=mmtodo+add+buy+milk&");

    const reply = await sandbox.waitForPost((p) => p.message === "ok from hook");
    const expected = form.resulting_posts[0]!;
    expect(shapeDiff(reply, expected)).toEqual([]);
    expect(reply).toMatchObject({
      user_id: seed.users.admin.user.id,
      root_id: post.id,
      props: expected.props,
    });
  });

  it("JSON content type from a thread reply: the recorded JSON (ms number) and an answer without response_type posts in the channel", async () => {
    const root = sandbox.post(alice().user.id, { channel_id: ops(), message: "a thread" });
    const posted = sandbox.waitForEvent(
      (e) =>
        e.event === "posted" &&
        (JSON.parse(e.data.post as string) as Post).message === "json answer",
    );
    const post = sandbox.post(alice().user.id, {
      channel_id: ops(),
      message: "!mmtodo list",
      root_id: root.id,
    });
    const request = await integration.next("/hook-json");
    expectHeadersLikeRecorded(request, json);
    expect(Object.keys(JSON.parse(request.rawBody) as object)).toEqual(
      Object.keys(json.sent_by_server.parsed_body),
    );
    expect(shapeDiff(request.parsedBody, json.sent_by_server.parsed_body)).toEqual([]);
    expect(request.parsedBody).toMatchObject({
      timestamp: post.create_at,
      post_id: post.id,
      text: "!mmtodo list",
      trigger_word: "!mmtodo",
      token: jsonHook.token,
    });
    expect(request.parsedBody).not.toHaveProperty("root_id");

    const event = await posted;
    const answer = JSON.parse(event.data.post as string) as Post;
    const expected = json.resulting_posts[0]!;
    expect(shapeDiff(answer, expected)).toEqual([]);
    expect(answer).toMatchObject({
      root_id: "",
      user_id: seed.users.admin.user.id,
      props: expected.props,
    });
    expect(event.data.sender_name).toBe("override");
  });

  it("a bot's own post fires the webhook too", async () => {
    const post = sandbox.post(seed.bot.user.id, {
      channel_id: ops(),
      message: "mmtodo from the bot itself",
    });
    const request = await integration.next("/hook-form");
    expect(request.parsedBody).toMatchObject({ post_id: post.id, user_name: "todobot" });
  });

  it("a 500 answer creates nothing; the webhook's own post does not fire it again", async () => {
    integration.answer("/hook-form", { status: 500, body: "boom" });
    const before = sandbox.channelPosts(ops()).length;
    sandbox.post(alice().user.id, { channel_id: ops(), message: "mmtodo fail please" });
    await integration.next("/hook-form");
    await sandbox.settleIntegrations();
    expect(sandbox.channelPosts(ops())).toHaveLength(before + 1);

    integration.answer("/hook-form", { body: { text: "mmtodo echoed back" } });
    sandbox.post(alice().user.id, { channel_id: ops(), message: "mmtodo echo" });
    await sandbox.waitForPost((p) => p.message === "mmtodo echoed back");
    await sandbox.settleIntegrations();
    expect(integration.requests.filter((r) => r.path === "/hook-form")).toHaveLength(1); // only the person's post
  });

  it("trigger_when 0 needs the exact first word, 1 a first word starting with a trigger word", async () => {
    const admin = seed.users.admin.user.id;
    sandbox.createOutgoingWebhook(admin, {
      team_id: seed.team.id,
      trigger_words: ["deploy"],
      trigger_when: 1,
      callback_urls: [`${integration.url}/starts`],
    });
    sandbox.post(alice().user.id, { channel_id: ops(), message: "mmtodoX is not the word" });
    sandbox.post(alice().user.id, { channel_id: ops(), message: "deploying now" });
    const request = await integration.next("/starts");
    expect(request.parsedBody).toMatchObject({ text: "deploying now", trigger_word: "deploy" });
    await sandbox.settleIntegrations();
    expect(integration.requests.filter((r) => r.path === "/hook-form")).toHaveLength(0);
  });
});
