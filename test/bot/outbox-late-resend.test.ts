/**
 * An outbox entry sent again after the server forgot its `pending_post_id` (Mattermost remembers
 * it 30 s: a try whose answer was lost, a bot killed mid-send and restarted later, a long outage)
 * must not make a second post: the post the earlier try made is found by the entry's id, which
 * every post carries in its props, and the entry is marked sent with it. Real sandbox, real store.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { Outbox, OUTBOX_ID_PROP } from "../../src/bot/outbox.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { openStore, type Store } from "../../src/store/index.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp() {
  // a server that forgets pending ids at once: every repeat is a new post, as after 30 s on a real one
  const sandbox = await Sandbox.start({ pendingPostIdTtlMs: 0 });
  cleanups.push(() => sandbox.close());
  const seed = sandbox.seed();
  const store: Store = await openStore(
    `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-outbox-")), "bot.db")}`,
  );
  cleanups.push(() => store.close());
  const client = new MattermostClient({ url: sandbox.url, token: seed.bot.token });
  return { sandbox, seed, store, client };
}

describe("an outbox entry sent again once the server forgot its pending_post_id", () => {
  it("is matched with the post an earlier try made, not posted twice", async () => {
    const { sandbox, seed, store, client } = await setUp();
    const channel = seed.channels.ops.id;
    const [entry] = await store.outbox.enqueue([
      { kind: "post", channel_id: channel, root_id: "", user_id: "", message: "the answer" },
    ]);
    // an earlier try reached the server, its answer was lost (the entry stays pending)
    const first = await client.createPost({
      channel_id: channel,
      message: "the answer",
      props: { [OUTBOX_ID_PROP]: entry!.id },
      pending_post_id: entry!.id,
    });

    const outbox = new Outbox(
      { store, client, logger: silentLogger(), observer: undefined },
      { pendingIdMemoryMs: 0 },
    );
    await outbox.flushPending();

    const botPosts = sandbox.channelPosts(channel).filter((p) => p.user_id === seed.bot.user.id);
    expect(botPosts.map((p) => p.message)).toEqual(["the answer"]);
    expect(await store.outbox.pending(10)).toEqual([]);
    expect(botPosts[0]!.id).toBe(first.id);
  });

  it("is posted when no earlier try made it (and the post carries the entry's id)", async () => {
    const { sandbox, seed, store, client } = await setUp();
    const channel = seed.channels.ops.id;
    const [entry] = await store.outbox.enqueue([
      { kind: "post", channel_id: channel, root_id: "", user_id: "", message: "never sent before" },
    ]);
    const outbox = new Outbox(
      { store, client, logger: silentLogger(), observer: undefined },
      { pendingIdMemoryMs: 0 },
    );
    await outbox.flushPending();
    const botPosts = sandbox.channelPosts(channel).filter((p) => p.user_id === seed.bot.user.id);
    expect(botPosts.map((p) => [p.message, p.props[OUTBOX_ID_PROP]])).toEqual([
      ["never sent before", entry!.id],
    ]);
    expect(await store.outbox.pending(10)).toEqual([]);
  });
});
