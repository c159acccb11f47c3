/**
 * A server with `EnableCommands` and `EnableOutgoingWebhooks` off: managers get 501 with the
 * server's error id (after the permission check), users' autocomplete lists no custom command.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { api } from "./integrations-rest.js";

let sandbox: Sandbox;
let seed: SeedResult;

beforeAll(async () => {
  sandbox = await Sandbox.start({
    integrations: { enableCommands: false, enableOutgoingWebhooks: false },
  });
  seed = sandbox.seed();
});
afterAll(() => sandbox.close());

const v4 = (method: string, path: string, token: string, body?: unknown) =>
  api(sandbox.url, method, `/api/v4${path}`, token, body);

describe("integrations disabled by the system admin", () => {
  it("slash commands: 501 api.command.disabled.app_error for a manager, 403 first for anyone else", async () => {
    const command = {
      team_id: seed.team.id,
      trigger: "todo",
      method: "P",
      url: "http://127.0.0.1:9/slash",
    };
    const created = await v4("POST", "/commands", seed.users.admin.token, command);
    expect(created.status).toBe(501);
    expect(created.body).toMatchObject({ id: "api.command.disabled.app_error", status_code: 501 });
    expect(
      (
        await v4(
          "GET",
          `/commands?team_id=${seed.team.id}&custom_only=true`,
          seed.users.admin.token,
        )
      ).status,
    ).toBe(501);
    expect((await v4("POST", "/commands", seed.users.alice.token, command)).body).toMatchObject({
      id: "api.context.permissions.app_error",
    });

    const autocomplete = await v4(
      "GET",
      `/commands?team_id=${seed.team.id}`,
      seed.users.alice.token,
    );
    expect(autocomplete).toMatchObject({ status: 200, body: [] });
    const run = await v4("POST", "/commands/execute", seed.users.alice.token, {
      channel_id: seed.channels.townSquare.id,
      command: "/todo list",
    });
    expect(run.body).toMatchObject({ id: "api.command.disabled.app_error", status_code: 501 });
  });

  it("outgoing webhooks: 501 api.outgoing_webhook.disabled.app_error for a manager", async () => {
    const hook = {
      team_id: seed.team.id,
      trigger_words: ["todo"],
      callback_urls: ["http://127.0.0.1:9/hooks/outgoing"],
    };
    const created = await v4("POST", "/hooks/outgoing", seed.users.admin.token, hook);
    expect(created.status).toBe(501);
    expect(created.body).toMatchObject({ id: "api.outgoing_webhook.disabled.app_error" });
    expect(
      (await v4("GET", `/hooks/outgoing?team_id=${seed.team.id}`, seed.users.admin.token)).status,
    ).toBe(501);
    expect((await v4("POST", "/hooks/outgoing", seed.users.bob.token, hook)).status).toBe(403);
  });
});

describe("the client configuration of a server with integrations off", () => {
  it("says EnableCommands and EnableOutgoingWebhooks are false, as a client reads them", async () => {
    const config = await v4("GET", "/config/client?format=old", seed.users.alice.token);
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({
      EnableCommands: "false",
      EnableOutgoingWebhooks: "false",
      EnableIncomingWebhooks: "true",
    });
  });
});
