/**
 * The sandbox's tokens as the server treats them (server/channels/app/session.go,
 * server/channels/app/platform/web_conn.go, server/channels/api4/user.go): revoked or past
 * `expires_at`, every REST call gets 401 and an open WebSocket stays open but gets no event; a
 * used token's session shows its expiry to its own user.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { TestSocket } from "./ws-client.js";

let sandbox: Sandbox;
let seed: SeedResult;
beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
});
afterAll(() => sandbox.close());

function api(
  path: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<Response> {
  return fetch(`${sandbox.url}/api/v4${path}`, {
    method: init.method ?? "GET",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

describe("sandbox tokens", () => {
  it("a revoked token: REST answers 401 session_expired, and a socket opened with it stays open but silent", async () => {
    const token = sandbox.createAccessToken(seed.bot.user.id);
    const socket = await TestSocket.open(sandbox.url, { token });
    await socket.event("hello");
    sandbox.post(seed.users.alice.user.id, { channel_id: seed.channels.ops.id, message: "before" });
    await socket.event("posted");

    expect(sandbox.revokeToken(token)).toBe(true);
    const refused = await api("/users/me", token);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({
      id: "api.context.session_expired.app_error",
      status_code: 401,
    });
    sandbox.post(seed.users.alice.user.id, { channel_id: seed.channels.ops.id, message: "after" });
    await socket.flush(); // the pong came back: the socket is open, and nothing came before it
    expect(socket.events("posted")).toHaveLength(1);
    socket.close();
  });

  it("POST /users/tokens/revoke takes a token id, for a System Admin only", async () => {
    const token = sandbox.createAccessToken(seed.bot.user.id);
    expect((await api("/users/me", token)).status).toBe(200);
    const sessions = (await (await api("/users/me/sessions", token)).json()) as {
      props: Record<string, string>;
    }[];
    const tokenId = sessions.find((s) => s.props.type === "UserAccessToken")!.props
      .user_access_token_id!;
    expect(
      (
        await api("/users/tokens/revoke", seed.users.alice.token, {
          method: "POST",
          body: { token_id: tokenId },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api("/users/tokens/revoke", seed.users.admin.token, {
          method: "POST",
          body: { token_id: tokenId },
        })
      ).status,
    ).toBe(200);
    expect((await api("/users/me", token)).status).toBe(401);
    expect(
      (
        await api("/users/tokens/revoke", seed.users.admin.token, {
          method: "POST",
          body: { token_id: tokenId },
        })
      ).status,
    ).toBe(404);
  });

  it("a token past its expires_at is refused; before, its session carries that expiry", async () => {
    const bot = sandbox.createBot({ username: "short-lived" });
    const expiresAt = Date.now() + 400;
    const token = sandbox.createAccessToken(bot.user.id, { expires_at: expiresAt });
    expect((await api("/users/me", token)).status).toBe(200);
    const sessions = (await (await api("/users/me/sessions", token)).json()) as {
      token: string;
      expires_at: number;
      props: Record<string, string>;
    }[];
    expect(sessions).toEqual([
      expect.objectContaining({
        token: "",
        expires_at: expiresAt,
        props: expect.objectContaining({ type: "UserAccessToken", is_bot: "true" }),
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await api("/users/me", token)).status).toBe(401);
  });
});
