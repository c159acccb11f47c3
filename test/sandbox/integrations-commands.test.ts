/**
 * Slash commands against a real integration server: the request the sandbox sends must match the
 * recorded one (fixtures/integrations/slash-command.json) field for field, and its answer must be
 * applied and returned as the recorded server did.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Post, WebSocketEvent } from "../../src/mattermost/types.js";
import { Sandbox, type Command, type SeedResult } from "../../src/sandbox/index.js";
import {
  decodeTriggerId,
  formKeys,
  IntegrationServer,
  loadIntegration,
  type ReceivedRequest,
} from "./integration-server.js";
import { api } from "./integrations-rest.js";
import { loadRest, shapeDiff } from "./shape.js";

interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  raw_body: string;
  parsed_body: Record<string, unknown>;
}
const recorded = loadIntegration<{
  post_request: RecordedRequest;
  post_request_ephemeral: RecordedRequest;
  get_request: RecordedRequest;
  execute_responses: unknown[];
  integration_500_execute: { status: number; body: { id: string; message: string } };
}>("slash-command");

let sandbox: Sandbox;
let seed: SeedResult;
let integration: IntegrationServer;
let command: Command;
let getCommand: Command;

beforeAll(async () => {
  sandbox = await Sandbox.start({ integrations: { timeoutMs: 500 } });
  seed = sandbox.seed();
  integration = await IntegrationServer.start();
  command = sandbox.createCommand(seed.users.admin.user.id, {
    team_id: seed.team.id,
    trigger: "mmtodo",
    url: `${integration.url}/slash`,
    method: "P",
  });
  getCommand = sandbox.createCommand(seed.users.admin.user.id, {
    team_id: seed.team.id,
    trigger: "mmtodoget",
    url: `${integration.url}/slashget`,
    method: "G",
  });
});

afterAll(async () => {
  await sandbox.close();
  await integration.close();
});

beforeEach(() => {
  integration.requests.length = 0;
  integration.answer("/slash", { body: {} });
});

const alice = () => seed.users.alice;
const execute = (commandLine: string) =>
  api(sandbox.url, "POST", "/api/v4/commands/execute", alice().token, {
    channel_id: seed.channels.ops.id,
    command: commandLine,
  });

/** The request as recorded: same method, path, header values, keys in the same order, the sandbox's ids. */
function expectLikeRecorded(
  got: ReceivedRequest,
  expected: RecordedRequest,
  text: string,
  token = command.token,
): void {
  expect(got.method).toBe(expected.method);
  for (const [name, value] of Object.entries(expected.headers)) {
    expect(got.headers[name], name).toBe(name === "authorization" ? `Token ${token}` : value);
  }
  const fields = expected.method === "GET" ? got.query : got.parsedBody;
  const expectedFields = expected.method === "GET" ? expected.query : expected.parsed_body;
  expect(expected.method === "GET" ? Object.keys(fields) : formKeys(got.rawBody)).toEqual(
    Object.keys(expectedFields),
  );
  expect(shapeDiff(fields, expectedFields)).toEqual([]);
  expect(fields).toMatchObject({
    channel_id: seed.channels.ops.id,
    channel_name: "ops",
    team_domain: "acme",
    team_id: seed.team.id,
    text,
    user_id: alice().user.id,
    user_name: "alice",
  });
  expect(fields.response_url).toMatch(new RegExp(`^${sandbox.url}/hooks/commands/[a-z0-9]{26}$`));
  const [, userId, millis, signature] = decodeTriggerId(fields.trigger_id as string);
  expect(userId).toBe(alice().user.id);
  expect(Number(millis)).toBeGreaterThan(0);
  expect(Buffer.from(signature!, "base64")[0]).toBe(0x30); // a DER (ASN.1 sequence) ECDSA signature, as the server's
}

describe("registering commands", () => {
  it("POST /commands as an admin answers 201 shaped like the recording, with a token", async () => {
    const fixture = loadRest("commands-create");
    const body = {
      ...(fixture.request.body as Record<string, unknown>),
      team_id: seed.team.id,
      trigger: "another",
      url: `${integration.url}/slash`,
    };
    const got = await api(sandbox.url, "POST", "/api/v4/commands", seed.users.admin.token, body);
    expect(got.status).toBe(201);
    expect(shapeDiff(got.body, fixture.response.body)).toEqual([]);
    expect(got.body).toMatchObject({
      trigger: "another",
      creator_id: seed.users.admin.user.id,
      method: "P",
      auto_complete: true,
      auto_complete_hint: "[add|list|done] text",
    });
    expect((got.body as Command).token).toMatch(/^[a-z0-9]{26}$/);
  });

  it("a person without manage_slash_commands gets 403; a taken trigger 400; a bad url 400", async () => {
    const body = {
      team_id: seed.team.id,
      trigger: "x1",
      url: `${integration.url}/slash`,
      method: "P",
    };
    expect((await api(sandbox.url, "POST", "/api/v4/commands", alice().token, body)).status).toBe(
      403,
    );
    const taken = await api(sandbox.url, "POST", "/api/v4/commands", seed.users.admin.token, {
      ...body,
      trigger: "MMTODO",
    });
    expect([taken.status, (taken.body as { id: string }).id]).toEqual([
      400,
      "api.command.duplicate_trigger.app_error",
    ]);
    const badUrl = await api(sandbox.url, "POST", "/api/v4/commands", seed.users.admin.token, {
      ...body,
      url: "not a url",
    });
    expect([badUrl.status, (badUrl.body as { id: string }).id]).toEqual([
      400,
      "model.command.is_valid.url.app_error",
    ]);
  });

  it("lists a team's commands, updates one, regenerates its token and deletes it", async () => {
    const admin = seed.users.admin.token;
    const made = (
      await api(sandbox.url, "POST", "/api/v4/commands", admin, {
        team_id: seed.team.id,
        trigger: "temp",
        url: `${integration.url}/slash`,
        method: "P",
      })
    ).body as Command;
    const listed = (
      await api(
        sandbox.url,
        "GET",
        `/api/v4/commands?team_id=${seed.team.id}&custom_only=true`,
        admin,
      )
    ).body as Command[];
    expect(listed.map((c) => c.trigger)).toContain("temp");
    expect(
      (
        await api(
          sandbox.url,
          "GET",
          `/api/v4/commands?team_id=${seed.team.id}&custom_only=true`,
          alice().token,
        )
      ).status,
    ).toBe(403);
    expect((await api(sandbox.url, "GET", "/api/v4/commands", admin)).status).toBe(400);
    const updated = await api(sandbox.url, "PUT", `/api/v4/commands/${made.id}`, admin, {
      ...made,
      trigger: "temp2",
      method: "G",
    });
    expect(updated.body).toMatchObject({
      id: made.id,
      trigger: "temp2",
      method: "G",
      token: made.token,
    });
    const regen = (await api(sandbox.url, "PUT", `/api/v4/commands/${made.id}/regen_token`, admin))
      .body as { token: string };
    expect(regen.token).toMatch(/^[a-z0-9]{26}$/);
    expect(regen.token).not.toBe(made.token);
    expect((await api(sandbox.url, "DELETE", `/api/v4/commands/${made.id}`, admin)).body).toEqual({
      status: "OK",
    });
    expect((await execute("/temp2 x")).status).toBe(404);
  });
});

describe("POST /commands/execute", () => {
  it("POSTs the recorded form to the integration and posts an in_channel answer as the user, with its button", async () => {
    const expected = recorded.execute_responses[0] as Record<string, unknown>;
    integration.answer("/slash", {
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
    });
    const posted = sandbox.waitForPost((p) => p.message === "Your list");
    const got = await execute("/mmtodo list");
    const request = await integration.next("/slash");
    expectLikeRecorded(request, recorded.post_request, "list");
    expect(request.parsedBody.command).toBe("/mmtodo");
    expect(request.rawBody).toContain(`token=${command.token}&`);

    expect(got.status).toBe(200);
    expect(got.contentType).toBe("application/json");
    expect(shapeDiff(got.body, loadRest("commands-execute").response.body)).toEqual([]);
    const body = got.body as Record<string, unknown>;
    expect({ ...body, trigger_id: "" }).toEqual({ ...expected, trigger_id: "" });
    expect(body.trigger_id).toBe(decodeTriggerId(request.parsedBody.trigger_id as string)[0]);

    const post = await posted;
    expect(post).toMatchObject({
      user_id: alice().user.id,
      channel_id: seed.channels.ops.id,
      type: "slack_attachment",
    });
    expect(Object.keys(post.props)).toEqual(["attachments", "from_webhook", "override_icon_url"]);
    expect(post.props).toMatchObject({ from_webhook: "true", override_icon_url: "" });
    expect((post.props.attachments as Array<{ actions: unknown[] }>)[0]!.actions).toEqual([
      { id: "done1", name: "Done" },
    ]);
    expect(post.metadata).toEqual({ embeds: [{ type: "message_attachment" }] });
  });

  it("an ephemeral answer reaches only the user; its extra_responses are posted in the channel", async () => {
    integration.answer("/slash", {
      body: {
        response_type: "ephemeral",
        text: "only you see this",
        extra_responses: [{ response_type: "in_channel", text: "extra" }],
      },
    });
    const ephemeral = sandbox.waitForEvent((e) => e.event === "ephemeral_message");
    const extra = sandbox.waitForPost((p) => p.message === "extra");
    const got = await execute("/mmtodo secret");
    expectLikeRecorded(await integration.next("/slash"), recorded.post_request_ephemeral, "secret");
    const fixture = loadRest("commands-execute-ephemeral");
    expect(got.status).toBe(200);
    expect(shapeDiff(got.body, fixture.response.body)).toEqual([]);
    expect({ ...(got.body as object), trigger_id: "" }).toEqual({
      ...(fixture.response.body as object),
      trigger_id: "",
    });

    const event: WebSocketEvent = await ephemeral;
    expect(event.broadcast.user_id).toBe(alice().user.id);
    const post = JSON.parse(event.data.post as string) as Post;
    expect(post).toMatchObject({
      message: "only you see this",
      user_id: alice().user.id,
      type: "system_ephemeral",
      props: { from_webhook: "true", override_icon_url: "" },
    });
    expect(sandbox.ephemeralPosts(alice().user.id).map((p) => p.message)).toContain(
      "only you see this",
    );
    expect((await extra).props).toEqual({ from_webhook: "true", override_icon_url: "" });
    expect(
      sandbox.channelPosts(seed.channels.ops.id).some((p) => p.message === "only you see this"),
    ).toBe(false);
  });

  it("a GET command sends the recorded fields as a query, without a body or content type", async () => {
    integration.answer("/slashget", { body: { text: "got it" } });
    const got = await execute("/mmtodoget hello world");
    const request = await integration.next("/slashget");
    expectLikeRecorded(request, recorded.get_request, "hello world", getCommand.token);
    expect(request.headers["content-type"]).toBeUndefined();
    expect(request.rawBody).toBe("");
    expect(request.query.command).toBe("/mmtodoget");
    expect(request.query.token).toBe(getCommand.token);
    expect((got.body as { text: string }).text).toBe("got it");
  });

  it("a plain-text answer is the text of an ephemeral answer", async () => {
    integration.answer("/slash", {
      body: "plain answer",
      contentType: "text/plain; charset=utf-8",
    });
    const got = await execute("/mmtodo plain");
    expect(got.body).toMatchObject({ response_type: "", text: "plain answer" });
    expect(sandbox.ephemeralPosts(alice().user.id).at(-1)).toMatchObject({
      message: "plain answer",
      user_id: alice().user.id,
    });
  });

  it("an empty {} answer returns the recorded empty response and posts nothing", async () => {
    const before = sandbox.channelPosts(seed.channels.ops.id).length;
    const ephemeralBefore = sandbox.ephemeralPosts(alice().user.id).length;
    const got = await execute("/mmtodo empty");
    const fixture = loadRest("commands-execute-empty-answer");
    expect(got.status).toBe(200);
    expect({ ...(got.body as object), trigger_id: "" }).toEqual({
      ...(fixture.response.body as object),
      trigger_id: "",
    });
    expect(sandbox.channelPosts(seed.channels.ops.id)).toHaveLength(before);
    expect(sandbox.ephemeralPosts(alice().user.id)).toHaveLength(ephemeralBefore);
  });

  it("an integration 500 gives the client the recorded 500 failed_resp error", async () => {
    integration.answer("/slash", { status: 500, body: "" });
    const got = await execute("/mmtodo fail");
    const fixture = loadRest("commands-execute-integration-500");
    expect(got.status).toBe(500);
    expect(got.contentType).toBe("application/json");
    expect(shapeDiff(got.body, fixture.response.body)).toEqual([]);
    expect(got.body).toMatchObject({
      id: recorded.integration_500_execute.body.id,
      message: recorded.integration_500_execute.body.message,
    });
  });

  it("an unreachable or silent integration gives 500 api.command.execute_command.failed.app_error", async () => {
    const dead = sandbox.createCommand(seed.users.admin.user.id, {
      team_id: seed.team.id,
      trigger: "dead",
      url: "http://127.0.0.1:1/nothing",
    });
    expect(dead.trigger).toBe("dead");
    const unreachable = await execute("/dead x");
    expect([unreachable.status, (unreachable.body as { id: string }).id]).toEqual([
      500,
      "api.command.execute_command.failed.app_error",
    ]);
    integration.answer("/slash", () => "hang");
    const silent = await execute("/mmtodo slow"); // the sandbox's integration timeout is 500 ms here
    expect([silent.status, (silent.body as { id: string }).id]).toEqual([
      500,
      "api.command.execute_command.failed.app_error",
    ]);
  });

  it("an unknown trigger is a 404; a command line without a trigger a 400", async () => {
    const unknown = await execute("/nosuch thing");
    expect([unknown.status, (unknown.body as { id: string }).id]).toEqual([
      404,
      "api.command.execute_command.not_found.app_error",
    ]);
    const bare = await execute("no slash");
    expect([bare.status, (bare.body as { id: string }).id]).toEqual([
      400,
      "api.command.execute_command.start.app_error",
    ]);
  });

  it("response_url takes a JSON answer, says ok as text/plain and posts it as the user who ran the command", async () => {
    const got = await execute("/mmtodo later");
    expect(got.status).toBe(200);
    const request = await integration.next("/slash");
    const delayed = await fetch(request.parsedBody.response_url as string, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        response_type: "in_channel",
        text: "delayed answer via response_url",
      }),
    });
    expect(delayed.status).toBe(200);
    expect(delayed.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(await delayed.text()).toBe("ok");
    const post = await sandbox.waitForPost((p) => p.message === "delayed answer via response_url");
    expect(post).toMatchObject({
      user_id: alice().user.id,
      channel_id: seed.channels.ops.id,
      props: { from_webhook: "true", override_icon_url: "" },
    });
    const unknown = await fetch(`${sandbox.url}/hooks/commands/${"a".repeat(26)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expect(unknown.status).toBe(400);
  });

  it("closing the sandbox ends a call still waiting for its integration", async () => {
    const other = await Sandbox.start(); // the server's 30 s timeout
    const world = other.seed();
    other.createCommand(world.users.admin.user.id, {
      team_id: world.team.id,
      trigger: "hang",
      url: `${integration.url}/hang`,
    });
    integration.answer("/hang", () => "hang");
    const running = other.runSlashCommand(
      world.users.alice.user.id,
      world.channels.ops.id,
      "/hang",
    );
    await integration.next("/hang");
    await other.close();
    await expect(running).rejects.toMatchObject({
      serverErrorId: "api.command.execute_command.failed.app_error",
      status: 500,
    });
  });

  it("runSlashCommand does the same in-process", async () => {
    integration.answer("/slash", {
      body: { response_type: "in_channel", text: "in-process answer" },
    });
    const response = await sandbox.runSlashCommand(
      alice().user.id,
      seed.channels.ops.id,
      "/mmtodo add x",
    );
    expect(response.text).toBe("in-process answer");
    expect((await integration.next("/slash")).parsedBody.text).toBe("add x");
    expect(sandbox.channelPosts(seed.channels.ops.id).at(-1)).toMatchObject({
      message: "in-process answer",
      user_id: alice().user.id,
    });
  });
});
