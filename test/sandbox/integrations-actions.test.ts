/**
 * Interactive message actions against a real integration server: the click request and the
 * resulting post, client answer and errors as recorded (fixtures/integrations/interactive-*.json,
 * rest/posts-actions-*.json).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { decodeTriggerId, IntegrationServer, loadIntegration } from "./integration-server.js";
import { api } from "./integrations-rest.js";
import { loadRest, shapeDiff } from "./shape.js";

interface SentByServer {
  method: string;
  headers: Record<string, string>;
  raw_body?: string;
  parsed_body: Record<string, unknown>;
}
const buttons = loadIntegration<{
  post_as_stored: Post;
  click_button: {
    client_call_response: { status: number; body: unknown };
    sent_by_server: SentByServer;
    post_after_update: Post;
  };
  underscore_id_click: {
    status: number;
    body: Record<string, unknown>;
    headers: Record<string, string>;
  };
}>("interactive-actions");
const select = loadIntegration<{
  post_as_stored: Post;
  client_call: { status: number; body: unknown };
  sent_by_server: SentByServer[];
  post_after_update: Post;
}>("interactive-select");

let sandbox: Sandbox;
let seed: SeedResult;
let integration: IntegrationServer;

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  integration = await IntegrationServer.start();
});

afterAll(async () => {
  await sandbox.close();
  await integration.close();
});

beforeEach(() => {
  integration.requests.length = 0;
});

const alice = () => seed.users.alice;

/** The bot's post of the recording, its actions wired to the test integration. */
function todoListPost(): Post {
  const url = `${integration.url}/actions`;
  return sandbox.post(seed.bot.user.id, {
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
              style: "primary",
              integration: { url, context: { action: "done", item: 1 } },
            },
            {
              id: "pick",
              type: "select",
              name: "Pick",
              options: [
                { text: "One", value: "one" },
                { text: "Two", value: "two" },
              ],
              integration: { url, context: { action: "pick" } },
            },
            { id: "bad_id", type: "button", name: "Underscore", integration: { url } },
          ],
        },
      ],
    },
  });
}

const click = (postId: string, actionId: string, body: unknown = {}) =>
  api(sandbox.url, "POST", `/api/v4/posts/${postId}/actions/${actionId}`, alice().token, body);

describe("a button click", () => {
  it("sends the recorded request, applies the update (props {} removes the buttons) and shows ephemeral_text to the clicker", async () => {
    const post = todoListPost();
    expect(post.props).toEqual(buttons.post_as_stored.props);
    integration.answer("/actions", {
      body: { update: { message: "Todo list (1 done)", props: {} }, ephemeral_text: "Marked done" },
    });
    const edited = sandbox.waitForEvent((e) => e.event === "post_edited");
    const ephemeral = sandbox.waitForEvent((e) => e.event === "ephemeral_message");

    const got = await click(post.id, "done1");
    const recorded = buttons.click_button;
    expect(got.status).toBe(recorded.client_call_response.status);
    expect(got.contentType).toBe("application/json");
    expect(shapeDiff(got.body, loadRest("posts-actions-button").response.body)).toEqual([]);

    const request = await integration.next("/actions");
    expect(request.method).toBe(recorded.sent_by_server.method);
    for (const [name, value] of Object.entries(recorded.sent_by_server.headers))
      expect(request.headers[name], name).toBe(value);
    expect(Object.keys(JSON.parse(request.rawBody) as object)).toEqual(
      Object.keys(JSON.parse(recorded.sent_by_server.raw_body!) as object),
    );
    expect(shapeDiff(request.parsedBody, recorded.sent_by_server.parsed_body)).toEqual([]);
    expect(request.parsedBody).toMatchObject({
      user_id: alice().user.id,
      user_name: "alice",
      channel_id: seed.channels.ops.id,
      channel_name: "ops",
      team_id: seed.team.id,
      team_domain: "acme",
      post_id: post.id,
      type: "button",
      data_source: "",
      context: { action: "done", item: 1 },
    });
    const [clientTriggerId, userId] = decodeTriggerId(request.parsedBody.trigger_id as string);
    expect(userId).toBe(alice().user.id);
    expect((got.body as { trigger_id: string }).trigger_id).toBe(clientTriggerId);

    const after = JSON.parse((await edited).data.post as string) as Post;
    expect(shapeDiff(after, recorded.post_after_update)).toEqual([]);
    expect(after).toMatchObject({ message: "Todo list (1 done)", props: {}, metadata: {} });
    expect(after.edit_at).toBeGreaterThan(0);
    const note = await ephemeral;
    expect(note.broadcast.user_id).toBe(alice().user.id);
    expect(JSON.parse(note.data.post as string)).toMatchObject({
      message: "Marked done",
      root_id: post.id,
      user_id: alice().user.id,
    });

    // the buttons are gone: the recorded 404 for a later pick
    const fixture = loadRest("posts-actions-select");
    const later = await click(post.id, "pick", { selected_option: "two" });
    expect([later.status, later.contentType]).toEqual([
      fixture.response.status,
      "application/json",
    ]);
    expect(shapeDiff(later.body, fixture.response.body)).toEqual([]);
    expect((later.body as { id: string }).id).toBe("api.post.do_action.action_id.app_error");
    expect(integration.requests).toHaveLength(0);
  });

  it("an action id with an underscore matches no route: the recorded 404 text/plain", async () => {
    const post = todoListPost();
    const got = await click(post.id, "bad_id");
    expect(got.status).toBe(buttons.underscore_id_click.status);
    expect(got.contentType).toBe(buttons.underscore_id_click.headers["content-type"]);
    expect(got.body).toMatchObject({
      ...buttons.underscore_id_click.body,
      detailed_error: (buttons.underscore_id_click.body.detailed_error as string).replace(
        buttons.post_as_stored.id,
        post.id,
      ),
    });
  });

  it("an integration that fails gives 400 api.post.do_action.action_integration.app_error and changes nothing", async () => {
    const post = todoListPost();
    integration.answer("/actions", { status: 500, body: "boom" });
    const got = await click(post.id, "done1");
    expect([got.status, (got.body as { id: string }).id]).toEqual([
      400,
      "api.post.do_action.action_integration.app_error",
    ]);
    expect(sandbox.getPost(post.id)?.message).toBe("Todo list");
  });

  it("an update without props keeps the buttons working; a person who cannot read the channel gets 403", async () => {
    const post = todoListPost();
    integration.answer("/actions", { body: { update: { message: "still clickable" } } });
    expect((await click(post.id, "done1")).status).toBe(200);
    expect(sandbox.getPost(post.id)?.message).toBe("still clickable");
    expect((await click(post.id, "done1")).status).toBe(200);
    const secret = sandbox.createChannel({ team_id: seed.team.id, name: "bot-only", type: "P" });
    sandbox.addToChannel(secret.id, seed.bot.user.id);
    const hidden = sandbox.post(seed.bot.user.id, {
      channel_id: secret.id,
      message: "x",
      props: {
        attachments: [
          {
            actions: [{ id: "a1", name: "A", integration: { url: `${integration.url}/actions` } }],
          },
        ],
      },
    });
    expect((await click(hidden.id, "a1")).status).toBe(403);
  });
});

describe("a select", () => {
  it("sends type select with context.selected_option and applies the recorded update", async () => {
    const url = `${integration.url}/actions`;
    const post = sandbox.post(seed.bot.user.id, {
      channel_id: seed.channels.ops.id,
      message: "Pick one",
      props: {
        attachments: [
          {
            text: "choose",
            actions: [
              {
                id: "pick",
                type: "select",
                name: "Pick",
                options: [
                  { text: "One", value: "one" },
                  { text: "Two", value: "two" },
                ],
                integration: { url, context: { action: "pick" } },
              },
              {
                id: "who",
                type: "select",
                name: "Assignee",
                data_source: "users",
                integration: { url, context: { action: "who" } },
              },
            ],
          },
        ],
      },
    });
    expect(post.props).toEqual(select.post_as_stored.props);
    integration.answer("/actions", {
      body: { update: { message: "Picked", props: { attachments: [{ text: "picked two" }] } } },
    });
    const result = await sandbox.clickAction(alice().user.id, post.id, "pick", "two");
    expect(shapeDiff(result, select.client_call.body)).toEqual([]);
    const request = await integration.next("/actions");
    const recorded = select.sent_by_server[0]!;
    expect(shapeDiff(request.parsedBody, recorded.parsed_body)).toEqual([]);
    expect(request.parsedBody).toMatchObject({
      type: "select",
      data_source: "",
      context: { action: "pick", selected_option: "two" },
    });
    const after = sandbox.getPost(post.id)!;
    expect(shapeDiff(after, select.post_after_update)).toEqual([]);
    expect(after).toMatchObject({
      message: "Picked",
      props: select.post_after_update.props,
      metadata: select.post_after_update.metadata,
    });
  });
});
