/**
 * The sandbox plays a version (`Sandbox.start({ version })`): each behaviour that differs shown
 * on both sides of the version where it changes, each from its source (see src/sandbox/versions.ts
 * and docs/compatibility.md; "changelog" where it was not confirmed in source).
 */
import { afterEach, describe, expect, it } from "vitest";
import { Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import { TestSocket } from "./ws-client.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(options: SandboxOptions) {
  const sandbox = await Sandbox.start(options);
  cleanups.push(() => sandbox.close());
  return { sandbox, seed: sandbox.seed() };
}

const api = (sandbox: Sandbox, path: string, token: string, body?: unknown) =>
  fetch(`${sandbox.url}/api/v4${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe("version strings (server/channels/web/handlers.go: X-Version-Id; model.CurrentVersion)", () => {
  it.each([
    ["5.37", "5.37.0"],
    ["10.11", "10.11.0"],
    ["11.10", "11.10.0"],
    ["12.0", "12.0.0"],
  ] as const)(
    "%s: X-Version-Id, hello's server_version and ping's version say %s",
    async (version, full) => {
      const { sandbox, seed } = await started({ version });
      const response = await api(sandbox, "/users/me", seed.bot.token);
      expect(response.headers.get("x-version-id")?.startsWith(`${full}.`)).toBe(true);
      const socket = await TestSocket.open(sandbox.url, { token: seed.bot.token });
      cleanups.push(async () => socket.close());
      const hello = await socket.next((f) => f.json.event === "hello");
      expect(String(hello.json.data?.server_version).startsWith(`${full}.`)).toBe(true);
    },
  );

  it("the default is the newest, 12.0", async () => {
    const { sandbox } = await started({});
    expect(sandbox.profile.name).toBe("12.0");
    const config = (await (
      await fetch(`${sandbox.url}/api/v4/config/client?format=old`)
    ).json()) as {
      Version: string;
    };
    expect(config.Version).toBe("12.0.0");
  });

  it("refuses a version it does not play, naming those it does", async () => {
    await expect(Sandbox.start({ version: "9.0" as never })).rejects.toThrow(
      /plays Mattermost 5\.37, 10\.11, 11\.10, 12\.0, not "9\.0"/,
    );
  });
});

describe("reliable WebSockets (EnableReliableWebSockets gone from model/config.go; always on since 6.3: changelog)", () => {
  it("5.37 may have them off; 10.11 and later refuse the setting", async () => {
    const { sandbox, seed } = await started({ version: "5.37", reliableWebSockets: false });
    const socket = await TestSocket.open(sandbox.url, { token: seed.bot.token });
    cleanups.push(async () => socket.close());
    const hello = await socket.next((f) => f.json.event === "hello");
    expect(hello.json.data?.connection_id).toBe("");
    await expect(Sandbox.start({ version: "10.11", reliableWebSockets: false })).rejects.toThrow(
      /always resumes WebSockets/,
    );
  });
});

describe("token expiry (model.UserAccessToken.IsExpired: expires_at; 11.9 for users, 12.0 for bots: changelog)", () => {
  it("5.37 and 10.11 have no expiring tokens; 11.10 expires a user's token, not a bot's", async () => {
    for (const version of ["5.37", "10.11"] as const) {
      const { sandbox, seed } = await started({ version });
      expect(() =>
        sandbox.createAccessToken(seed.users.alice.user.id, { expires_at: Date.now() + 60_000 }),
      ).toThrow(/do not expire on Mattermost/);
    }
    const { sandbox, seed } = await started({ version: "11.10" });
    const token = sandbox.createAccessToken(seed.users.alice.user.id);
    expect((await api(sandbox, "/users/me", token)).status).toBe(200);
    expect(sandbox.expireToken(token)).toBe(true);
    const refused = await api(sandbox, "/users/me", token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      id: "api.context.session_expired.app_error",
      status_code: 401,
    });
    expect(() => sandbox.expireToken(seed.bot.token)).toThrow(/bot accounts do not expire/);
  });

  it("12.0 expires a bot's token: 401 as the server answers", async () => {
    const { sandbox, seed } = await started({ version: "12.0" });
    expect((await api(sandbox, "/users/me", seed.bot.token)).status).toBe(200);
    sandbox.expireToken(seed.bot.token);
    expect((await api(sandbox, "/users/me", seed.bot.token)).status).toBe(401);
  });
});

describe("props reserved for integrations (model.ContainsIntegrationsReservedProps)", () => {
  const reserved = { from_webhook: "true", override_username: "monitor", keep: "yes" };

  it("kept on a user's personal access token up to 11.10, dropped on 12.0 (changelog); a bot's kept on 12.0", async () => {
    for (const [version, kept] of [
      ["5.37", true],
      ["11.10", true],
      ["12.0", false],
    ] as const) {
      const { sandbox, seed } = await started({ version });
      const response = await api(sandbox, "/posts", seed.users.alice.token, {
        channel_id: seed.channels.offTopic.id,
        message: "deploy done",
        props: reserved,
      });
      expect(response.status).toBe(201);
      const post = (await response.json()) as { props: Record<string, unknown> };
      expect(post.props.keep).toBe("yes");
      expect(post.props.override_username, version).toBe(kept ? "monitor" : undefined);
      expect(post.props.from_webhook, version).toBe(kept ? "true" : undefined);
    }
    const { sandbox, seed } = await started({ version: "12.0" });
    sandbox.addToChannel(seed.channels.offTopic.id, seed.bot.user.id);
    const byBot = (await (
      await api(sandbox, "/posts", seed.bot.token, {
        channel_id: seed.channels.offTopic.id,
        message: "deploy done",
        props: reserved,
      })
    ).json()) as { props: Record<string, unknown> };
    expect(byBot.props.override_username).toBe("monitor");
  });

  it("hardened mode (app/post.go postHardenedModeCheck): a password login's post with one is a 400; a token's is not", async () => {
    const { sandbox, seed } = await started({ version: "10.11", hardenedMode: true });
    const login = await fetch(`${sandbox.url}/api/v4/users/login`, {
      method: "POST",
      body: JSON.stringify({ login_id: "alice", password: "sandbox-alice" }),
    });
    const session = login.headers.get("token")!;
    const refused = await api(sandbox, "/posts", session, {
      channel_id: seed.channels.offTopic.id,
      message: "hi",
      props: reserved,
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      id: "api.context.invalid_body_param.app_error",
      detailed_error:
        "Cannot use props reserved for integrations. props: [from_webhook override_username]",
    });
    // the permission is checked first (api4/post.go createPostChecks): a channel alice is not in is a 403
    const secret = sandbox.createChannel({ team_id: seed.team.id, name: "secret", type: "P" });
    const elsewhere = await api(sandbox, "/posts", session, {
      channel_id: secret.id,
      message: "hi",
      props: reserved,
    });
    expect(elsewhere.status).toBe(403);
    const plain = await api(sandbox, "/posts", session, {
      channel_id: seed.channels.offTopic.id,
      message: "hi",
    });
    expect(plain.status).toBe(201);
    const byToken = await api(sandbox, "/posts", seed.users.alice.token, {
      channel_id: seed.channels.offTopic.id,
      message: "hi",
      props: reserved,
    });
    expect(byToken.status).toBe(201);
    await expect(Sandbox.start({ version: "5.37", hardenedMode: true })).rejects.toThrow(
      /no hardened mode/,
    );
  });
});
