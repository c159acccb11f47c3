/** The WebSocket receiver against the sandbox: events, resume, catch-up, auth failure, stop. */
import { afterEach, describe, expect, it } from "vitest";
import { MattermostClient } from "../../src/mattermost/rest.js";
import type { Envelope, MessageEnvelope } from "../../src/bot/envelope.js";
import type { ConnectionState } from "../../src/mattermost/websocket.js";
import { memoryCursor } from "../../src/sources/catch-up.js";
import { WebSocketFeed, type WebSocketFeedOptions } from "../../src/sources/websocket.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { waitUntil } from "../helpers/processes.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function world(
  options: { resumeWindowMs?: number } = {},
): Promise<{ sandbox: Sandbox; seed: SeedResult }> {
  const sandbox = await Sandbox.start(options);
  cleanups.push(() => sandbox.close());
  return { sandbox, seed: sandbox.seed() };
}

function connect(sandbox: Sandbox, token: string, extra: Partial<WebSocketFeedOptions> = {}) {
  const events: Envelope[] = [];
  const states: ConnectionState[] = [];
  const receiver = new WebSocketFeed({
    url: sandbox.url,
    token,
    client: new MattermostClient({ url: sandbox.url, token, retry: { baseDelayMs: 5 } }),
    onEnvelope: (e) => events.push(e),
    onStateChange: (s) => states.push(s),
    pingIntervalMs: 200,
    backoff: { initialMs: 20, maxMs: 200 },
    authFailureDelayMs: 200,
    catchUpOverlapMs: 2_000,
    ...extra,
  });
  cleanups.push(() => receiver.stop());
  const posted = (message: string) =>
    events.filter((e): e is MessageEnvelope => e.kind === "message" && e.post.message === message);
  return { receiver, events, states, posted };
}

describe("WebSocketReceiver against the sandbox", () => {
  it("receives posted events with the post parsed and the channel described", async () => {
    const { sandbox, seed } = await world();
    const { receiver, posted } = connect(sandbox, seed.bot.token);
    await receiver.start();
    expect(receiver.state).toBe("connected");
    sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "hello bot",
    });
    await waitUntil(() => posted("hello bot").length === 1, "the post");
    expect(posted("hello bot")[0]).toMatchObject({
      source: "websocket",
      post: { user_id: seed.users.alice.user.id, channel_id: seed.channels.ops.id },
      channel: { id: seed.channels.ops.id, type: "O", name: "ops" },
      user: { name: "alice" },
    });
  });

  it("after a dropped connection, resumes and receives what was posted meanwhile exactly once", async () => {
    const { sandbox, seed } = await world();
    const { receiver, posted, states } = connect(sandbox, seed.bot.token);
    await receiver.start();
    const id = receiver.connectionId;
    expect(sandbox.dropConnections(seed.bot.user.id)).toBe(1);
    sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "while dropped",
    });
    await waitUntil(() => posted("while dropped").length > 0, "the missed post");
    sandbox.post(seed.users.alice.user.id, { channel_id: seed.channels.ops.id, message: "after" });
    await waitUntil(() => posted("after").length > 0, "the next post");
    expect(posted("while dropped")).toHaveLength(1);
    expect(posted("while dropped")[0]!.source).toBe("websocket");
    expect(receiver.connectionId).toBe(id);
    expect(states).toContain("reconnecting");
  });

  it("when the server cannot resume, catches up over REST: the post arrives once, new DMs included", async () => {
    const { sandbox, seed } = await world({ resumeWindowMs: 50 });
    const { receiver, posted } = connect(sandbox, seed.bot.token);
    await receiver.start();
    const id = receiver.connectionId;
    sandbox.setWebSocketAvailable(false);
    sandbox.dropConnections(seed.bot.user.id);
    sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "while away",
    });
    const dm = sandbox.directChannel(seed.users.bob.user.id, seed.bot.user.id);
    sandbox.post(seed.users.bob.user.id, { channel_id: dm.id, message: "first DM" });
    await new Promise((r) => setTimeout(r, 300)); // longer than the resume window
    sandbox.setWebSocketAvailable(true);
    await waitUntil(
      () => posted("while away").length > 0 && posted("first DM").length > 0,
      "the caught-up posts",
    );
    expect(receiver.connectionId).not.toBe(id);
    expect(posted("while away")).toHaveLength(1);
    expect(posted("while away")[0]).toMatchObject({
      source: "catchup",
      channel: { type: "O", name: "ops" },
    });
    expect(posted("first DM")[0]).toMatchObject({
      source: "catchup",
      channel: { type: "D" },
      post: { channel_id: dm.id },
    });
    sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "live again",
    });
    await waitUntil(() => posted("live again").length > 0, "a live post");
    expect(posted("while away")).toHaveLength(1);
  });

  it("catches up after a restart from the stored cursor", async () => {
    const { sandbox, seed } = await world();
    const cursor = memoryCursor();
    const first = connect(sandbox, seed.bot.token, { cursor });
    await first.receiver.start();
    sandbox.post(seed.users.alice.user.id, { channel_id: seed.channels.ops.id, message: "seen" });
    await waitUntil(() => first.posted("seen").length > 0, "the first post");
    await first.receiver.stop();
    expect(await cursor.load()).toBe(sandbox.channelPosts(seed.channels.ops.id).at(-1)!.create_at);
    sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "while the bot was down",
    });
    const second = connect(sandbox, seed.bot.token, { cursor });
    await second.receiver.start();
    await waitUntil(
      () => second.posted("while the bot was down").length > 0,
      "the post made while down",
    );
    expect(second.posted("while the bot was down")[0]!.source).toBe("catchup");
  });

  it("reports auth_failed for a refused token and keeps retrying slowly", async () => {
    const { sandbox } = await world();
    const { receiver, states } = connect(sandbox, "nosuchtoken00000000000000");
    const started = receiver.start();
    started.catch(() => {});
    await waitUntil(
      () => states.filter((s) => s === "auth_failed").length >= 2,
      "two auth failures",
    );
    expect(receiver.state).toBe("auth_failed");
    await receiver.stop();
    await expect(started).rejects.toThrow(/stopped/);
  });

  it("stop() closes the socket and no reconnect follows", async () => {
    const { sandbox, seed } = await world();
    const { receiver, states } = connect(sandbox, seed.bot.token);
    await receiver.start();
    await receiver.stop();
    expect(receiver.state).toBe("stopped");
    await new Promise((r) => setTimeout(r, 300));
    expect(sandbox.dropConnections(seed.bot.user.id)).toBe(0);
    expect(states.at(-1)).toBe("stopped");
  });

  it("can be started again after stop() and catches up what it missed", async () => {
    const { sandbox, seed } = await world();
    const { receiver, posted } = connect(sandbox, seed.bot.token);
    await receiver.start();
    await receiver.stop();
    sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "between runs",
    });
    await receiver.start();
    expect(receiver.state).toBe("connected");
    await waitUntil(() => posted("between runs").length > 0, "the post made between runs");
  });

  it("sends a typing action the server broadcasts", async () => {
    const { sandbox, seed } = await world();
    const { receiver } = connect(sandbox, seed.bot.token);
    await receiver.start();
    const typing = sandbox.waitForEvent(
      (e) => e.event === "typing" && e.broadcast.channel_id === seed.channels.ops.id,
    );
    await expect(
      receiver.sendAction("user_typing", { channel_id: seed.channels.ops.id, parent_id: "" }),
    ).resolves.toMatchObject({ status: "OK" });
    await expect(typing).resolves.toMatchObject({ data: { user_id: seed.bot.user.id } });
  });
});
