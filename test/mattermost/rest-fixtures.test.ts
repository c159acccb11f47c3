/**
 * Every recorded REST exchange of a real Mattermost 5.37, replayed by a scripted server:
 * the client must send the recorded method and path, and return the recorded body (2xx) or
 * throw a MattermostApiError carrying the server's error id and request id.
 */
import { FIXTURES } from "../fixtures/mattermost.js";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MattermostApiError } from "../../src/errors.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import type { CreatePostInput } from "../../src/mattermost/types.js";
import { startScriptedServer, type ScriptedServer } from "./scripted-server.js";

const DIR = join(FIXTURES, "rest");

interface Fixture {
  description: string;
  request?: { method: string; path: string; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown };
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .map((file) => ({ file, fixture: JSON.parse(readFileSync(join(DIR, file), "utf8")) as Fixture }))
  .filter(
    (f): f is { file: string; fixture: Fixture & { request: NonNullable<Fixture["request"]> } } =>
      f.fixture.request !== undefined,
  );

/** The typed method that makes each recorded call, by fixture name. */
const typed: Record<
  string,
  (
    c: MattermostClient,
    f: Fixture & { request: { path: string; body: unknown } },
  ) => Promise<unknown>
> = {
  "system-ping": (c) => c.ping(),
  "users-me": (c) => c.getMe(),
  "users-me-bad-token": (c) => c.getMe(),
  "users-me-teams": (c) => c.getMyTeams(),
  "users-me-channels": (c, f) => c.getMyChannels(segment(f.request.path, 6)),
  "users-get": (c, f) => c.getUser(segment(f.request.path, 4)),
  "users-by-username": (c) => c.getUserByUsername("@alice"),
  "users-by-username-missing": (c) => c.getUserByUsername("nobody"),
  "users-typing": (c, f) => {
    const body = f.request.body as { channel_id: string; parent_id: string };
    return c
      .sendTyping(segment(f.request.path, 4), body.channel_id, body.parent_id)
      .then((sent) => (sent ? undefined : Promise.reject(new Error("typing not sent"))));
  },
  "posts-get": (c, f) => c.getPost(segment(f.request.path, 4)),
  "posts-get-missing": (c, f) => c.getPost(segment(f.request.path, 4)),
  "posts-thread": (c, f) => c.getThread(segment(f.request.path, 4)),
  "posts-patch": (c, f) =>
    c.patchPost(segment(f.request.path, 4), f.request.body as { message: string }),
  "posts-delete": (c, f) => c.deletePost(segment(f.request.path, 4)),
  "posts-ephemeral": (c, f) => {
    const body = f.request.body as {
      user_id: string;
      post: { channel_id: string; message: string };
    };
    return c.createEphemeralPost(body.user_id, body.post);
  },
  "reactions-add": (c, f) => {
    const body = f.request.body as { user_id: string; post_id: string; emoji_name: string };
    return c.addReaction(body.user_id, body.post_id, body.emoji_name);
  },
  "channels-get": (c, f) => c.getChannel(segment(f.request.path, 4)),
  "channels-member": (c, f) =>
    c.getChannelMember(segment(f.request.path, 4), segment(f.request.path, 6)),
  "channels-member-missing": (c, f) =>
    c.getChannelMember(segment(f.request.path, 4), segment(f.request.path, 6)),
  "channels-direct": (c, f) => {
    const [a, b] = f.request.body as [string, string];
    return c.createDirectChannel(a, b);
  },
  "channel-posts-since": (c, f) =>
    c.getChannelPostsSince(
      segment(f.request.path, 4),
      Number(new URL(f.request.path, "http://x").searchParams.get("since")),
    ),
  "channel-posts-page": (c, f) =>
    c.getChannelPosts(segment(f.request.path, 4), { page: 0, perPage: 2 }),
  "files-upload": (c) =>
    c.uploadFile("s5m6haaditfdmcrw46zwuj6khc", "todo.txt", new TextEncoder().encode("x")),
};
for (const name of [
  "16383",
  "16384",
  "attachments",
  "bad-channel",
  "empty",
  "not-member",
  "pending-id-1",
  "pending-id-2",
  "reply",
  "reply-to-reply",
  "user",
  "with-file",
]) {
  typed[`posts-create-${name}`] = (c, f) => c.createPost(f.request.body as CreatePostInput);
}

function segment(path: string, index: number): string {
  return path.split("?")[0]!.split("/")[index]!;
}

let server: ScriptedServer;
beforeAll(async () => {
  server = await startScriptedServer();
});
afterAll(() => server.close());

describe("recorded REST responses", () => {
  it.each(fixtures.map((f) => [f.file, f.fixture] as const))("%s", async (file, fixture) => {
    const { status, headers, body } = fixture.response;
    server.script((_req, res) => {
      res.writeHead(status, {
        "Content-Type": headers["content-type"] ?? "application/json",
        ...(headers["x-request-id"] ? { "X-Request-ID": headers["x-request-id"] } : {}),
      });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    });
    // the wire shapes, not the pacing: no rate budget (test/mattermost/rate-budget*.test.ts)
    const client = new MattermostClient({
      url: server.url,
      token: "<token>",
      retry: { attempts: 1 },
      maxRequestsPerSecond: 0,
    });
    const name = file.replace(/\.json$/, "");
    const call = typed[name];
    const requestBody =
      typeof fixture.request.body === "string"
        ? fixture.request.body
        : (fixture.request.body ?? undefined);
    const before = server.requests.length;
    const result = await (call
      ? call(client, fixture)
      : client.request(
          fixture.request.method,
          fixture.request.path.replace(/^\/api\/v4/, ""),
          requestBody,
        )
    ).then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const sent = server.requests[before]!;
    expect(`${sent.method} ${sent.url}`).toBe(`${fixture.request.method} ${fixture.request.path}`);
    if (status < 300) {
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      if (name === "files-upload")
        expect(result.value).toEqual((body as { file_infos: unknown[] }).file_infos[0]);
      else if (result.value !== undefined) expect(result.value).toEqual(body);
    } else {
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(MattermostApiError);
      // the rate limiter's 429 is plain text: no error id
      const expected = (typeof body === "object" ? body : {}) as {
        id?: string;
        request_id?: string;
      };
      expect(result.error).toMatchObject({
        status,
        serverErrorId: expected.id ?? "",
        requestId: expected.request_id ?? headers["x-request-id"] ?? "",
      });
    }
  });
});
