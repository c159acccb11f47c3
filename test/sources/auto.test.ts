/** The auto source against the sandbox: polling while WebSockets are refused, back to the WebSocket, every post answered once. */
import { afterEach, describe, expect, it } from "vitest";
import type { Post } from "../../src/mattermost/types.js";
import { AutoSource, type AutoMode } from "../../src/sources/auto.js";
import { harnessWebSocketOptions, startHarness, type Harness } from "../helpers/harness.js";
import { waitUntil } from "../helpers/processes.js";

const INTERVAL_MS = 500;
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/** A bot on an AutoSource whose first WebSocket is refused by the sandbox: it starts polling every `intervalMs`. */
async function startRefused(intervalMs: number): Promise<{ h: Harness; auto: AutoSource }> {
  let auto!: AutoSource;
  const h = await startHarness({
    bot: (sandbox) => {
      sandbox.setWebSocketAvailable(false);
      return {};
    },
    mattermostSource: () =>
      (auto = new AutoSource({ websocket: harnessWebSocketOptions, polling: { intervalMs } })),
  });
  harnesses.push(h);
  return { h, auto };
}

describe("AutoSource against the sandbox", () => {
  it("polls while the WebSocket is refused, returns to it, and answers every post exactly once across the switches", async () => {
    // refused before the bot's first connection: a fresh bot behind a proxy that strips upgrades
    const { h, auto } = await startRefused(INTERVAL_MS);
    const modes: AutoMode[] = [];
    const track = setInterval(() => modes.at(-1) !== auto.mode && modes.push(auto.mode), 5);
    const ops = h.seed.channels.ops.id;
    const dm = h.sandbox.directChannel(h.seed.users.bob.user.id, h.seed.bot.user.id);
    const posts: Post[] = [];
    const ask = async (user: "alice" | "bob", channelId: string, text: string) => {
      const post = h.say(user, channelId, text);
      posts.push(post);
      return h.replyTo(post, { timeoutMs: INTERVAL_MS + 1_000 });
    };
    try {
      expect(auto.mode).toBe("polling");
      expect((await ask("alice", ops, "@todobot add while refused")).message).toMatch(/Added #1/);
      await ask("bob", dm.id, "add a DM while refused");

      h.sandbox.setWebSocketAvailable(true);
      await waitUntil(() => auto.mode === "websocket", "the WebSocket again");
      await ask("alice", ops, "@todobot add over the WebSocket");

      // posts made during each switch: whichever source sees them, each is answered once
      const racing = [
        h.say("alice", ops, "@todobot add racing the drop"),
        h.say("bob", dm.id, "add racing the drop"),
      ];
      posts.push(...racing);
      h.sandbox.setWebSocketAvailable(false);
      h.sandbox.dropConnections(h.seed.bot.user.id);
      await waitUntil(() => auto.mode === "polling", "polling again");
      for (const post of racing) await h.replyTo(post, { timeoutMs: INTERVAL_MS + 1_000 });
      await ask("alice", ops, "@todobot add polling again");

      const back = h.say("alice", ops, "@todobot add racing the return");
      posts.push(back);
      h.sandbox.setWebSocketAvailable(true);
      await waitUntil(() => auto.mode === "websocket", "the WebSocket once more");
      await h.replyTo(back, { timeoutMs: INTERVAL_MS + 1_000 });
      await ask("bob", dm.id, "add after the return");

      await new Promise((r) => setTimeout(r, INTERVAL_MS * 3)); // room for a late duplicate
      for (const post of posts) expect(h.botPostsInThread(post), post.message).toHaveLength(1);
      expect(modes.filter((m) => m !== "connecting")).toEqual([
        "polling",
        "websocket",
        "polling",
        "websocket",
      ]);
    } finally {
      clearInterval(track);
    }
  });

  it("reads once more when handing over, so a post made just before a first WebSocket connection is answered", async () => {
    // a long interval: the next round would come long after the socket took over
    const { h, auto } = await startRefused(10_000);
    expect(auto.mode).toBe("polling");
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot add just before the switch");
    h.sandbox.setWebSocketAvailable(true);
    await waitUntil(() => auto.mode === "websocket", "the WebSocket");
    expect((await h.replyTo(post, { timeoutMs: 2_000 })).message).toMatch(
      /Added #1: just before the switch/,
    );
  });

  it("stops polling once the WebSocket is back: no listing of channels while it is connected", async () => {
    const { h, auto } = await startRefused(INTERVAL_MS);
    expect(auto.mode).toBe("polling");
    h.sandbox.setWebSocketAvailable(true);
    await waitUntil(() => auto.mode === "websocket", "the WebSocket");
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 2)); // the WebSocket's own catch-up lists channels once
    const from = h.sandbox.trafficLog().at(-1)?.seq ?? 0;
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 4));
    const listings = h.sandbox
      .trafficLog()
      .filter((e) => e.seq > from && e.user === "todobot" && e.url.endsWith("/channels"));
    expect(listings).toEqual([]);
  });
});
