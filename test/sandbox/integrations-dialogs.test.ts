/**
 * Interactive dialogs: opened by an integration with the trigger id it got from a slash command,
 * submitted to a real integration server; requests and answers as recorded
 * (fixtures/integrations/dialog-submission.json, rest/dialogs-*.json).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Sandbox, type OpenedDialog, type SeedResult } from "../../src/sandbox/index.js";
import { decodeTriggerId, IntegrationServer, loadIntegration } from "./integration-server.js";
import { api } from "./integrations-rest.js";
import { TestSocket } from "./ws-client.js";
import { loadRest, shapeDiff } from "./shape.js";

const recorded = loadIntegration<{
  sent_by_server: Array<{
    method: string;
    headers: Record<string, string>;
    raw_body: string;
    parsed_body: Record<string, unknown>;
  }>;
  client_responses: Array<{ status: number; body: unknown }>;
}>("dialog-submission");
const openFixture = loadRest("dialogs-open");
const dialogBody = (openFixture.request.body as { dialog: Record<string, unknown> }).dialog;

let sandbox: Sandbox;
let seed: SeedResult;
let integration: IntegrationServer;

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  integration = await IntegrationServer.start();
  sandbox.createCommand(seed.users.admin.user.id, {
    team_id: seed.team.id,
    trigger: "mmtodo",
    url: `${integration.url}/slash`,
  });
});

afterAll(async () => {
  await sandbox.close();
  await integration.close();
});

beforeEach(() => {
  integration.requests.length = 0;
});

const alice = () => seed.users.alice;
const openDialog = (triggerId: string) =>
  api(sandbox.url, "POST", "/api/v4/actions/dialogs/open", seed.bot.token, {
    trigger_id: triggerId,
    url: `${integration.url}/dialog`,
    dialog: dialogBody,
  });

/** Runs `/mmtodo add` as alice and returns the signed trigger id the integration received. */
async function freshTriggerId(): Promise<string> {
  const running = sandbox.runSlashCommand(alice().user.id, seed.channels.ops.id, "/mmtodo add");
  const request = await integration.next("/slash");
  await running;
  return request.parsedBody.trigger_id as string;
}

describe("opening a dialog", () => {
  it("a fresh trigger id opens the dialog for the user who ran the command (open_dialog event)", async () => {
    const aliceSocket = await TestSocket.open(sandbox.url, { token: alice().token });
    const bobSocket = await TestSocket.open(sandbox.url, { token: seed.users.bob.token });
    await Promise.all([aliceSocket.event("hello"), bobSocket.event("hello")]);
    const triggerId = await freshTriggerId();
    const event = sandbox.waitForEvent((e) => e.event === "open_dialog");
    const got = await openDialog(triggerId);
    expect([got.status, got.body]).toEqual([200, { status: "OK" }]);
    const frame = await aliceSocket.event("open_dialog");
    expect(JSON.parse(frame.json.data!.dialog as string)).toMatchObject({
      url: `${integration.url}/dialog`,
    });
    // bob's socket sees the next broadcast but never the dialog
    sandbox.post(alice().user.id, {
      channel_id: seed.channels.ops.id,
      message: "after the dialog",
    });
    await bobSocket.event("posted", (f) =>
      (f.json.data!.post as string).includes("after the dialog"),
    );
    expect(bobSocket.events("open_dialog")).toEqual([]);
    aliceSocket.close();
    bobSocket.close();
    const opened = await event;
    expect(opened.broadcast).toMatchObject({ user_id: alice().user.id, channel_id: "" });
    const dialog = JSON.parse(opened.data.dialog as string) as OpenedDialog;
    expect(dialog.trigger_id).toBe(decodeTriggerId(triggerId)[0]);
    expect(dialog.url).toBe(`${integration.url}/dialog`);
    expect(dialog.dialog).toMatchObject({
      callback_id: "addtodo",
      title: "Add todo",
      submit_label: "Add",
      notify_on_cancel: true,
      state: "list-1",
      icon_url: "",
    });
    expect(dialog.dialog.elements![2]).toMatchObject({
      name: "prio",
      type: "select",
      optional: false,
      options: [
        { text: "High", value: "high" },
        { text: "Low", value: "low" },
      ],
    });
    expect(sandbox.lastOpenedDialog(alice().user.id)).toEqual(dialog);
    expect(sandbox.lastOpenedDialog(seed.bot.user.id)).toBeUndefined();
  });

  it("a forged trigger id is the recorded 400", async () => {
    const fixture = loadRest("dialogs-open-bad-trigger");
    const got = await openDialog("forged");
    expect(got.status).toBe(fixture.response.status);
    expect(got.contentType).toBe("application/json");
    expect(shapeDiff(got.body, fixture.response.body)).toEqual([]);
    expect((got.body as { id: string }).id).toBe((fixture.response.body as { id: string }).id);
  });

  it("an expired trigger id is the recorded 400; a tampered one fails its signature check", async () => {
    const old = Buffer.from(
      `${"a".repeat(26)}:${alice().user.id}:${Date.now() - 60_000}:MEUCIQ==`,
    ).toString("base64");
    const expired = await openDialog(old);
    expect(expired.status).toBe(openFixture.response.status);
    expect(shapeDiff(expired.body, openFixture.response.body)).toEqual([]);
    expect(expired.body).toMatchObject({
      id: "interactive_message.decode_trigger_id.expired",
      message: (openFixture.response.body as { message: string }).message,
    });

    const [client, , millis, signature] = decodeTriggerId(await freshTriggerId());
    const tampered = Buffer.from(
      `${client}:${seed.users.bob.user.id}:${millis}:${signature}`,
    ).toString("base64");
    const refused = await openDialog(tampered);
    expect([refused.status, (refused.body as { id: string }).id]).toEqual([
      400,
      "interactive_message.decode_trigger_id.verify_signature_failed",
    ]);
  });
});

describe("submitting a dialog", () => {
  const cases = [
    { fixture: "dialogs-submit-errors", answer: { errors: { text: "Text is required" } } },
    { fixture: "dialogs-submit-ok", answer: {} },
    { fixture: "dialogs-submit-cancel", answer: {} },
  ];
  cases.forEach(({ fixture: name, answer }, index) => {
    it(`${name}: the recorded request reaches the dialog URL and the recorded answer the client`, async () => {
      integration.answer("/dialog", { body: answer });
      const fixture = loadRest(name);
      const body = {
        ...(fixture.request.body as Record<string, unknown>),
        url: `${integration.url}/dialog`,
        user_id: "ignored",
        channel_id: seed.channels.ops.id,
        team_id: seed.team.id,
      };
      const got = await api(
        sandbox.url,
        "POST",
        "/api/v4/actions/dialogs/submit",
        alice().token,
        body,
      );
      expect(got.status).toBe(fixture.response.status);
      expect(got.contentType).toBe("application/json");
      expect(got.body).toEqual(recorded.client_responses[index]!.body);

      const request = await integration.next("/dialog");
      const sent = recorded.sent_by_server[index]!;
      for (const [header, value] of Object.entries(sent.headers))
        expect(request.headers[header], header).toBe(value);
      const ids = (text: string) => text.replace(/[a-z0-9]{26}/g, "<id>");
      expect(ids(request.rawBody)).toBe(ids(sent.raw_body));
      expect(request.parsedBody).toMatchObject({
        user_id: alice().user.id,
        channel_id: seed.channels.ops.id,
        team_id: seed.team.id,
      });
    });
  });

  it("submitDialog does the same in-process; a channel the user cannot read is a 403", async () => {
    integration.answer("/dialog", { body: { error: "try later" } });
    const result = await sandbox.submitDialog(alice().user.id, {
      url: `${integration.url}/dialog`,
      callback_id: "c",
      channel_id: seed.channels.ops.id,
      team_id: seed.team.id,
      submission: { text: "x" },
    });
    expect(result).toEqual({ error: "try later" });
    const secret = sandbox.createChannel({ team_id: seed.team.id, name: "no-alice", type: "P" });
    const got = await api(sandbox.url, "POST", "/api/v4/actions/dialogs/submit", alice().token, {
      url: `${integration.url}/dialog`,
      channel_id: secret.id,
      team_id: seed.team.id,
      submission: {},
    });
    expect(got.status).toBe(403);
  });
});
