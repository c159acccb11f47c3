/**
 * What the sandbox serves its page, over real HTTP: the built files at the root URL, the traffic
 * log (API calls and requests to integrations, as a list and as a live stream), the people to
 * switch between and adding one, their pictures, and marking a channel viewed for the unread marks.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { Sandbox, type SeedResult, type TrafficEntry } from "../../src/sandbox/index.js";
import { createHttpApp } from "../../src/sandbox/http.js";
import { servePage } from "../../src/sandbox/page/static.js";
import { IntegrationServer } from "./integration-server.js";
import { api } from "./integrations-rest.js";

describe("the page's files at the root URL", () => {
  const serve = async (dir: string) => {
    const app = createHttpApp(silentLogger());
    servePage(app, dir);
    const url = (await app.listen({ host: "127.0.0.1", port: 0 })).replace("[::1]", "127.0.0.1");
    return { url, close: () => app.close() };
  };

  it("serves index.html at / and each built asset with its type", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmbot-page-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), '<script src="/assets/main-ABC.js"></script>');
    writeFileSync(join(dir, "assets", "main-ABC.js"), "console.log(1)");
    const { url, close } = await serve(dir);
    try {
      const index = await fetch(`${url}/`);
      expect(index.status).toBe(200);
      expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await index.text()).toContain("/assets/main-ABC.js");
      const script = await fetch(`${url}/assets/main-ABC.js`);
      expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(script.headers.get("cache-control")).toContain("immutable");
      expect((await fetch(`${url}/assets/other.js`)).status).toBe(404);
    } finally {
      await close();
    }
  });

  it("says how to build the page when it is not built", async () => {
    const { url, close } = await serve(join(tmpdir(), "mmbot-no-such-page-dir"));
    try {
      const answer = await fetch(`${url}/`);
      expect(answer.status).toBe(503);
      expect(await answer.text()).toContain("npm run build");
    } finally {
      await close();
    }
  });
});

describe("the page's endpoints", () => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  let integration: IntegrationServer;

  beforeAll(async () => {
    sandbox = await Sandbox.start({ integrations: { timeoutMs: 1_000 } });
    seed = sandbox.seed();
    integration = await IntegrationServer.start();
    integration.answer("/echo", { body: { response_type: "ephemeral", text: "echoed" } });
    sandbox.createCommand(seed.users.admin.user.id, {
      team_id: seed.team.id,
      trigger: "echo",
      url: `${integration.url}/echo`,
    });
    sandbox.createCommand(seed.users.admin.user.id, {
      team_id: seed.team.id,
      trigger: "gone",
      url: "http://127.0.0.1:9/gone",
    });
  });

  afterAll(async () => {
    await integration.close();
    await sandbox.close();
  });

  const traffic = async (after = 0) =>
    (await api(sandbox.url, "GET", `/sandbox/traffic?after=${after}`, null)).body as TrafficEntry[];

  it("records a client's API call and the request the sandbox sent to the integration", async () => {
    const before = (await traffic()).at(-1)?.seq ?? 0;
    const ran = await api(sandbox.url, "POST", "/api/v4/commands/execute", seed.users.alice.token, {
      channel_id: seed.channels.ops.id,
      team_id: seed.team.id,
      command: "/echo hi",
    });
    expect(ran.status).toBe(200);
    const entries = await traffic(before);
    const call = entries.find((e) => e.kind === "api" && e.url === "/api/v4/commands/execute");
    expect(call).toMatchObject({ direction: "in", method: "POST", status: 200, user: "alice" });
    const out = entries.find((e) => e.kind === "slash");
    expect(out).toMatchObject({
      direction: "out",
      method: "POST",
      url: `${integration.url}/echo`,
      status: 200,
    });
    expect(out?.requestBody).toContain("command=%2Fecho");
    expect(out?.responseBody).toContain("echoed");
    expect(entries.every((e) => e.seq > before)).toBe(true);
  });

  it("records an integration that cannot be reached with status 0 and the reason", async () => {
    const before = (await traffic()).at(-1)?.seq ?? 0;
    const ran = await api(sandbox.url, "POST", "/api/v4/commands/execute", seed.users.alice.token, {
      channel_id: seed.channels.ops.id,
      team_id: seed.team.id,
      command: "/gone",
    });
    expect(ran.status).toBe(500);
    const out = (await traffic(before)).find((e) => e.kind === "slash");
    expect(out?.status).toBe(0);
    expect(out?.error).toMatch(/ECONNREFUSED|connect/);
    expect((await traffic(before)).find((e) => e.kind === "api")?.status).toBe(500);
  });

  it("streams new entries live (Server-Sent Events), after the ones kept", async () => {
    const controller = new AbortController();
    const response = await fetch(`${sandbox.url}/sandbox/traffic/stream`, {
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.getReader();
    await api(sandbox.url, "GET", "/api/v4/users/me", seed.users.bob.token);
    let text = "";
    while (!text.includes('"user":"bob"'))
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const last = text
      .split("\n\n")
      .filter((l) => l.includes('"user":"bob"'))
      .at(-1)!;
    expect(JSON.parse(last.replace(/^data: /, ""))).toMatchObject({
      kind: "api",
      method: "GET",
      url: "/api/v4/users/me",
      status: 200,
    });
  });

  it("does not record the page's own files and endpoints", async () => {
    await api(sandbox.url, "GET", "/sandbox/users", null);
    await fetch(`${sandbox.url}/`);
    expect((await traffic()).some((e) => e.url.startsWith("/sandbox") || e.url === "/")).toBe(
      false,
    );
  });

  it("lists the people and adds one who can log in and lands in town-square and off-topic", async () => {
    const users = (await api(sandbox.url, "GET", "/sandbox/users", null)).body as Array<{
      username: string;
      is_bot: boolean;
    }>;
    expect(users.map((u) => u.username)).toEqual(
      expect.arrayContaining(["admin", "alice", "bob", "todobot"]),
    );
    expect(users.find((u) => u.username === "todobot")?.is_bot).toBe(true);

    const added = await api(sandbox.url, "POST", "/sandbox/users", null, { username: "Carol" });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ username: "carol" });
    const login = await fetch(`${sandbox.url}/api/v4/users/login`, {
      method: "POST",
      body: JSON.stringify({ login_id: "carol", password: "sandbox-carol" }),
    });
    expect(login.status).toBe(200);
    const token = login.headers.get("token")!;
    const channels = (
      await api(sandbox.url, "GET", `/api/v4/users/me/teams/${seed.team.id}/channels`, token)
    ).body as Array<{ name: string }>;
    expect(channels.map((c) => c.name).sort()).toEqual(["off-topic", "town-square"]);
  });

  it("refuses a user that exists or has no usable name, saying why", async () => {
    const again = await api(sandbox.url, "POST", "/sandbox/users", null, { username: "alice" });
    expect(again.status).toBe(400);
    expect((again.body as { message: string }).message).toContain('"alice" already exists');
    const bad = await api(sandbox.url, "POST", "/sandbox/users", null, { username: "no spaces" });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toContain("invalid username");
    const empty = await api(sandbox.url, "POST", "/sandbox/users", null, "not json");
    expect(empty.status).toBe(400);
    expect((empty.body as { message: string }).message).toContain('{"username"');
  });

  it("marks a channel viewed: its member's last_viewed_at moves past its last post", async () => {
    const { alice, bob } = seed.users;
    sandbox.post(bob.user.id, { channel_id: seed.channels.offTopic.id, message: "news" });
    const channel = sandbox.getChannel(seed.channels.offTopic.id)!;
    const viewed = await api(sandbox.url, "POST", "/api/v4/channels/members/me/view", alice.token, {
      channel_id: channel.id,
    });
    expect(viewed.status).toBe(200);
    const times = (viewed.body as { last_viewed_at_times: Record<string, number> })
      .last_viewed_at_times;
    expect(times[channel.id]).toBeGreaterThanOrEqual(channel.last_post_at);
    const member = (
      await api(sandbox.url, "GET", `/api/v4/channels/${channel.id}/members/me`, alice.token)
    ).body as { last_viewed_at: number };
    expect(member.last_viewed_at).toBe(times[channel.id]);
    const forOther = await api(
      sandbox.url,
      "POST",
      `/api/v4/channels/members/${bob.user.id}/view`,
      alice.token,
      { channel_id: channel.id },
    );
    expect(forOther.status).toBe(403);
  });

  it("draws each user's picture as an SVG: a person's initial, a bot's face in shapes (no emoji font needed)", async () => {
    const picture = async (id: string) => {
      const answer = await fetch(`${sandbox.url}/sandbox/users/${id}/avatar.svg`);
      return {
        status: answer.status,
        type: answer.headers.get("content-type"),
        body: await answer.text(),
      };
    };
    const alice = await picture(seed.users.alice.user.id);
    expect(alice).toMatchObject({ status: 200, type: "image/svg+xml" });
    expect(alice.body).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(alice.body).toMatch(/<text[^>]*>A<\/text>/);
    const bot = await picture(seed.bot.user.id);
    expect(bot.body).not.toContain("<text");
    expect(bot.body).not.toMatch(/[\u{1F300}-\u{1FAFF}]/u);
    expect(await picture("nosuchuser")).toMatchObject({ status: 404 });
  });
});
