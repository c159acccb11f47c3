/**
 * Channel events recorded from the release-5.37 build (fixtures/ws/channel-events.json): creating
 * a channel, opening a group, posting in it, pinning. Acted out the same way against the sandbox;
 * each connection must get the recorded events in order, shaped as recorded (JSON strings inside
 * decoded), with the recorded values where they matter.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { api } from "./integrations-rest.js";
import { FIXTURES, shapeDiff } from "./shape.js";
import { TestSocket } from "./ws-client.js";

type Json = Record<string, any>;
const RECORDED = JSON.parse(readFileSync(join(FIXTURES, "ws", "channel-events.json"), "utf8")) as {
  frames: Record<string, Array<{ who: string; frame: Json }>>;
};

const decoded = (frame: Json): Json => {
  const data: Json = { ...frame.data };
  for (const key of ["post", "teammate_ids"])
    if (typeof data[key] === "string") data[key] = JSON.parse(data[key]);
  return { ...frame, data };
};

let sandbox: Sandbox;
let seed: SeedResult;
const sockets: Record<string, TestSocket> = {};

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  sockets.bot = await TestSocket.open(sandbox.url, { token: seed.bot.token });
  sockets.alice = await TestSocket.open(sandbox.url, { token: seed.users.alice.token });
  for (const s of Object.values(sockets)) await s.next((f) => f.json.event === "status_change");
});

afterAll(async () => {
  for (const s of Object.values(sockets)) s.ws.close();
  await sandbox.close();
});

/** Runs `act`, then checks each connection's new frames against the recorded step's. */
async function expectStepLike(
  step: string,
  act: () => Promise<unknown>,
): Promise<Record<string, Json[]>> {
  const before = Object.fromEntries(
    Object.entries(sockets).map(([who, s]) => [who, s.frames.length]),
  );
  await act();
  const got: Record<string, Json[]> = {};
  for (const [who, socket] of Object.entries(sockets)) {
    const want = RECORDED.frames[step]!.filter((f) => f.who === who).map((f) => decoded(f.frame));
    if (want.length > 0)
      await socket.next(
        (f) => f.json.event === want.at(-1)!.event && socket.frames.indexOf(f) >= before[who]!,
      );
    await socket.flush();
    got[who] = socket.frames.slice(before[who]).map((f) => decoded(f.json));
    expect(
      got[who]!.map((f) => f.event),
      `${step} (${who})`,
    ).toEqual(want.map((f) => f.event));
    got[who]!.forEach((frame, i) =>
      expect(shapeDiff(frame, want[i]), `${step} (${who}) ${frame.event}`).toEqual([]),
    );
  }
  return got;
}

describe("channel events (fixtures/ws/channel-events.json)", () => {
  it("a new channel: its creator's join post, then channel_created addressed to the creator", async () => {
    for (const [step, type] of [
      ["channel-create-open", "O"],
      ["channel-create-private", "P"],
    ] as const) {
      const got = await expectStepLike(step, () =>
        api(sandbox.url, "POST", "/api/v4/channels", seed.users.alice.token, {
          team_id: seed.team.id,
          name: `c-${type.toLowerCase()}`,
          display_name: "C",
          type,
        }),
      );
      const [posted, created] = got.alice!;
      expect(posted!.data.post).toMatchObject({
        type: "system_join_channel",
        message: "alice joined the channel.",
        props: { username: "alice" },
      });
      expect(created!.broadcast.user_id).toBe(seed.users.alice.user.id);
    }
  });

  it("a group: group_added with the sorted member ids to each member; its posts name no mentions", async () => {
    const ids = [seed.bot.user.id, seed.users.alice.user.id, seed.users.bob.user.id];
    let groupId = "";
    const got = await expectStepLike("channel-group", async () => {
      groupId = (
        (await api(sandbox.url, "POST", "/api/v4/channels/group", seed.bot.token, ids)).body as {
          id: string;
        }
      ).id;
    });
    expect(got.bot![0]!.data.teammate_ids).toEqual([...ids].sort());
    expect(got.bot![0]!.broadcast.channel_id).toBe(groupId);
    const posted = await expectStepLike("post-create-gm", () =>
      api(sandbox.url, "POST", "/api/v4/posts", seed.bot.token, {
        channel_id: groupId,
        message: "hi in group",
      }),
    );
    expect(posted.alice![0]!.data).toMatchObject({
      channel_type: "G",
      channel_display_name: "alice, bob, todobot",
    });
    expect(posted.alice![0]!.data.mentions).toBeUndefined();
  });

  it("pin and unpin: post_edited with is_pinned, not an edit (edit_at 0)", async () => {
    const post = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "pin me",
    });
    for (const socket of Object.values(sockets))
      await socket.next((f) => f.json.event === "posted" && f.raw.includes(post.id));
    for (const [step, pinned] of [
      ["pin", true],
      ["unpin", false],
    ] as const) {
      const got = await expectStepLike(step, () =>
        api(sandbox.url, "POST", `/api/v4/posts/${post.id}/${step}`, seed.users.alice.token),
      );
      expect(got.bot![0]!.data.post).toMatchObject({ id: post.id, is_pinned: pinned, edit_at: 0 });
    }
  });
});
