/**
 * A reply the server could not take goes out again within a second, not at the outbox's next
 * sweep: in a storm (`npm run chaos`) the server is back for seconds at a time, and answers that
 * waited up to 5 s for the sweep often missed the window. The parts of one answer still go in
 * order. Real sandbox, real SQLite store; the sweep interval is set to a minute, so only the
 * sooner retry can deliver within the test.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/log.js";
import { Outbox } from "../../src/bot/outbox.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { openStore, type Store } from "../../src/store/index.js";

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe("an outbox entry whose try failed", () => {
  it("is tried again soon, and the parts after it follow in order", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    const seed = sandbox.seed();
    const store: Store = await openStore(
      `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-outbox-")), "bot.db")}`,
    );
    cleanups.push(() => store.close());
    const client = new MattermostClient({ url: sandbox.url, token: seed.bot.token });
    const outbox = new Outbox(
      { store, client, logger: silentLogger(), observer: undefined },
      { retryIntervalMs: 60_000 },
    );
    outbox.start();
    cleanups.push(() => outbox.stop());
    const channel = seed.channels.ops.id;

    // every try of the first delivery is refused (the client retries a create 4 times)
    sandbox.faults.failRest({ path: "^/api/v4/posts$", method: "POST", answer: 502, count: 4 });
    const part = (message: string) => ({
      kind: "post" as const,
      channel_id: channel,
      root_id: "",
      user_id: "",
      message,
    });
    const sent = await outbox.send([part("part one"), part("part two")]);
    expect(sent).toEqual([]); // nothing went now: both wait in the store

    const botMessages = () =>
      sandbox
        .channelPosts(channel)
        .filter((p) => p.user_id === seed.bot.user.id)
        .map((p) => p.message);
    await expect.poll(botMessages, { timeout: 10_000 }).toEqual(["part one", "part two"]);
    expect(await store.outbox.pending(10)).toEqual([]);
  }, 20_000);
});
