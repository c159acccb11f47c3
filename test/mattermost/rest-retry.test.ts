import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MattermostApiError, TransportError } from "../../src/errors.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { serverRetryHintMs } from "../../src/mattermost/retry.js";
import {
  hangUp,
  json,
  silence,
  startScriptedServer,
  text,
  type ScriptedServer,
} from "./scripted-server.js";

const post = { id: "p1", channel_id: "c1", message: "hi", create_at: 1, brand_new_field: { x: 1 } };
const serverError = (status: number, id: string) =>
  json(status, {
    id,
    message: "boom",
    detailed_error: "",
    request_id: "req123",
    status_code: status,
  });

let server: ScriptedServer;
let client: MattermostClient;
beforeEach(async () => {
  server = await startScriptedServer();
  client = new MattermostClient({
    url: `${server.url}/`,
    token: "tok",
    retry: { baseDelayMs: 5, maxDelayMs: 50 },
  });
});
afterEach(() => server.close());

describe("MattermostClient retries", () => {
  it("retries a GET after a 503 and returns the later answer", async () => {
    server.script(serverError(503, "unavailable"), json(200, post));
    await expect(client.getPost("p1")).resolves.toEqual(post);
    expect(server.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      "GET /api/v4/posts/p1",
      "GET /api/v4/posts/p1",
    ]);
  });

  it("retries a 429 'limit exceeded' (plain text) honouring Retry-After, capped", async () => {
    server.script(
      text(429, "limit exceeded\n", { "Retry-After": "3600", "X-RateLimit-Reset": "3600" }),
      json(200, post),
    );
    await expect(client.getPost("p1")).resolves.toEqual(post);
    expect(server.requests).toHaveLength(2);
  });

  it("gives up after the configured attempts with a typed 429 error carrying the header's request id", async () => {
    server.script(text(429, "limit exceeded", { "Retry-After": "0", "X-Request-ID": "hdr-req" }));
    const error = await client.getPost("p1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MattermostApiError);
    expect(error).toMatchObject({
      status: 429,
      body: "limit exceeded",
      requestId: "hdr-req",
      method: "GET",
      path: "/api/v4/posts/p1",
      serverErrorId: "",
    });
    expect(server.requests).toHaveLength(4);
  });

  it("sends a plain POST once, even when the server fails", async () => {
    server.script(serverError(503, "unavailable"), json(201, post));
    await expect(client.createPost({ channel_id: "c1", message: "hi" })).rejects.toMatchObject({
      status: 503,
    });
    expect(server.requests).toHaveLength(1);
  });

  it("retries createPost when it carries a pending_post_id", async () => {
    server.script(hangUp, serverError(502, "bad_gateway"), json(201, post));
    await expect(
      client.createPost({ channel_id: "c1", message: "hi", pending_post_id: "x:1" }),
    ).resolves.toEqual(post);
    expect(server.requests).toHaveLength(3);
    const bodies = server.requests.map(
      (r) => JSON.parse(r.body.toString()) as { pending_post_id: string },
    );
    expect(bodies.every((b) => b.pending_post_id === "x:1")).toBe(true);
  });

  it("never retries a 4xx other than 429", async () => {
    server.script(serverError(403, "api.context.permissions.app_error"), json(200, post));
    const error = await client.getPost("p1").catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 403,
      serverErrorId: "api.context.permissions.app_error",
      requestId: "req123",
    });
    expect(server.requests).toHaveLength(1);
  });

  it("retries a dropped connection on a GET", async () => {
    server.script(hangUp, json(200, [{ id: "t1", name: "acme" }]));
    await expect(client.getMyTeams()).resolves.toEqual([{ id: "t1", name: "acme" }]);
    expect(server.requests).toHaveLength(2);
  });

  it("turns a dropped connection into a TransportError with the cause", async () => {
    server.script(hangUp);
    const error = await client
      .createEphemeralPost("u1", { channel_id: "c1", message: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).cause).toBeDefined();
    expect((error as Error).message).toContain("POST /api/v4/posts/ephemeral");
    expect(server.requests).toHaveLength(1);
  });

  it("reports an unreachable server as a TransportError", async () => {
    const url = server.url;
    await server.close();
    const offline = new MattermostClient({
      url,
      token: "t",
      retry: { attempts: 2, baseDelayMs: 1 },
    });
    await expect(offline.ping()).rejects.toBeInstanceOf(TransportError);
  });

  it("times out a request that gets no answer", async () => {
    server.script(silence);
    const slow = new MattermostClient({
      url: server.url,
      token: "t",
      timeoutMs: 100,
      retry: { attempts: 1 },
    });
    const error = await slow.getMe().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toMatch(/timed out/);
  });

  it("goes through an injected fetch", async () => {
    server.script(json(200, { status: "OK" }));
    const seen: string[] = [];
    const wrapped = new MattermostClient({
      url: server.url,
      token: "t",
      fetch: (input, init) => {
        seen.push(`${init?.method} ${String(input)}`);
        return fetch(input, init);
      },
    });
    await wrapped.ping();
    expect(seen).toEqual([`GET ${server.url}/api/v4/system/ping`]);
  });
});

describe("MattermostClient requests", () => {
  it("sends the token and JSON, keeps unknown response fields", async () => {
    server.script(json(200, post));
    const result = await client.patchPost("p1", { message: "edited" });
    expect(result).toEqual(post);
    const req = server.requests[0]!;
    expect(req.method).toBe("PUT");
    expect(req.url).toBe("/api/v4/posts/p1/patch");
    expect(req.headers.authorization).toBe("Bearer tok");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(req.body.toString())).toEqual({ message: "edited" });
  });

  it("caches users, usernames (with or without @) and me", async () => {
    const alice = { id: "a1", username: "alice" };
    server.script(json(200, alice));
    await client.getUserByUsername("@alice");
    await client.getUserByUsername("alice");
    await client.getUser("a1");
    expect(server.requests.map((r) => r.url)).toEqual(["/api/v4/users/username/alice"]);
    server.script(json(200, { id: "me1", username: "bot" }));
    await client.getMe();
    await client.getMe();
    expect(server.requests).toHaveLength(2);
  });

  it("pages channel posts with the query the server expects", async () => {
    server.script(json(200, { order: [], posts: {} }));
    await client.getChannelPosts("c1", { page: 2, perPage: 50 });
    await client.getChannelPosts("c1", { after: "p9" });
    await client.getChannelPostsSince("c1", 1234.7);
    expect(server.requests.map((r) => r.url)).toEqual([
      "/api/v4/channels/c1/posts?page=2&per_page=50",
      "/api/v4/channels/c1/posts?after=p9",
      "/api/v4/channels/c1/posts?since=1234",
    ]);
  });

  it("uploads a file as multipart form data", async () => {
    server.script(json(201, { file_infos: [{ id: "f1", name: "todo.txt" }], client_ids: [] }));
    const info = await client.uploadFile("c1", "todo.txt", new TextEncoder().encode("buy milk"));
    expect(info).toEqual({ id: "f1", name: "todo.txt" });
    const req = server.requests[0]!;
    const form = await new Response(req.body, {
      headers: { "content-type": String(req.headers["content-type"]) },
    }).formData();
    expect(form.get("channel_id")).toBe("c1");
    const file = form.get("files") as File;
    expect(file.name).toBe("todo.txt");
    expect(await file.text()).toBe("buy milk");
  });

  it("sends typing, reactions and direct channels as the server expects", async () => {
    server.script(json(200, { status: "OK" }));
    await client.sendTyping("u1", "c1", "root1");
    await client.addReaction("u1", "p1", ":white_check_mark:");
    server.script(json(201, { id: "dm1", type: "D" }));
    await client.createDirectChannel("u1", "u2");
    expect(server.requests.map((r) => [r.method, r.url, JSON.parse(r.body.toString())])).toEqual([
      ["POST", "/api/v4/users/u1/typing", { channel_id: "c1", parent_id: "root1" }],
      [
        "POST",
        "/api/v4/reactions",
        { user_id: "u1", post_id: "p1", emoji_name: "white_check_mark" },
      ],
      ["POST", "/api/v4/channels/direct", ["u1", "u2"]],
    ]);
  });
});

describe("serverRetryHintMs", () => {
  const hint = (headers: Record<string, string>) =>
    serverRetryHintMs(new Headers(headers), Date.parse("2026-01-01T00:00:00Z"));

  it("reads Retry-After in seconds or as an HTTP date, else X-RateLimit-Reset", () => {
    expect(hint({ "Retry-After": "3" })).toBe(3_000);
    expect(hint({ "Retry-After": "Thu, 01 Jan 2026 00:00:05 GMT" })).toBe(5_000);
    expect(hint({ "X-RateLimit-Reset": "2" })).toBe(2_000);
    expect(hint({})).toBeUndefined();
    expect(hint({ "Retry-After": "soon" })).toBeUndefined();
  });

  it("takes the later of doubled headers (Mattermost's limiters by token and by user each add theirs)", () => {
    expect(hint({ "X-RateLimit-Reset": "1, 2" })).toBe(2_000);
    // "1, 1" is no date: Date.parse would read it as 2001 and retry at once
    expect(hint({ "Retry-After": "1, 1" })).toBe(1_000);
  });
});
