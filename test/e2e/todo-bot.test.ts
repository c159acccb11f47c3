import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.js";
import { startHarness, type Harness } from "../helpers/harness.js";

describe("todo bot over WebSocket, against the sandbox", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("adds, lists, completes, undoes and deletes items, answering in the thread", async () => {
    const ops = h.seed.channels.ops.id;
    const add = h.say("alice", ops, "@todobot add buy milk");
    const added = await h.replyTo(add);
    expect(added.message).toMatch(/Added #1: buy milk/);
    expect(added.root_id).toBe(add.id);

    await h.replyTo(h.say("bob", ops, "@todobot add call the plumber"));
    const done = await h.replyTo(h.say("alice", ops, "@todobot done 1"));
    expect(done.message).toMatch(/#1/);
    expect(done.message).toMatch(/buy milk/);

    const list = await h.replyTo(h.say("alice", ops, "@todobot list"));
    const [firstOpen = "", ...others] = list.message
      .split("\n")
      .filter((l) => /plumber|milk/.test(l));
    expect(firstOpen).toMatch(/call the plumber/); // open items first
    expect(firstOpen).toMatch(/@bob/);
    expect(others.join("\n")).toMatch(/~~buy milk~~/); // done items struck through

    const undo = await h.replyTo(h.say("alice", ops, "@todobot undo 2"));
    expect(undo.message).toMatch(/buy milk/);
    const del = await h.replyTo(h.say("alice", ops, "@todobot delete 1"));
    expect(del.message).toMatch(/plumber/);
    const after = await h.replyTo(h.say("alice", ops, "@todobot list"));
    expect(after.message).toMatch(/buy milk/);
    expect(after.message).not.toMatch(/plumber/);
  });

  it("adds a message with no command word, clears done items, and explains bad input", async () => {
    const town = h.seed.channels.townSquare.id;
    expect((await h.replyTo(h.say("alice", town, "@todobot water the plants"))).message).toMatch(
      /Added #1: water the plants/,
    );
    expect((await h.replyTo(h.say("alice", town, "@todobot done 1"))).message).toMatch(
      /water the plants/,
    );
    expect((await h.replyTo(h.say("alice", town, "@todobot clear done"))).message).toMatch(/1/);
    const missing = await h.replyTo(h.say("alice", town, "@todobot done 99"));
    expect(missing.message).toMatch(/99/);
    const empty = await h.replyTo(h.say("alice", town, "@todobot add"));
    expect(empty.message.toLowerCase()).toMatch(/add/);
    const help = await h.replyTo(h.say("alice", town, "@todobot help"));
    for (const word of ["add", "list", "done", "delete", "undo", "clear done"])
      expect(help.message).toContain(word);
  });

  it("answers every message in a DM, with a personal list separate from the channel's", async () => {
    const dm = h.sandbox.directChannel(h.seed.users.alice.user.id, h.seed.bot.user.id);
    const first = h.say("alice", dm.id, "list");
    expect((await h.replyTo(first)).message).toMatch(/list is empty/);
    expect((await h.replyTo(h.say("alice", dm.id, "add private thing"))).message).toMatch(
      /Added #1: private thing/,
    );
    expect((await h.replyTo(h.say("alice", dm.id, "list"))).message).toMatch(/private thing/);
  });

  it("answers 'todo …' without a mention when mention_only is off, and replies inside an existing thread", async () => {
    const town = h.seed.channels.townSquare.id;
    const root = h.say("bob", town, "planning the party");
    const inThread = h.say("alice", town, "todo add balloons", root.id);
    const reply = await h.replyTo(inThread);
    expect(reply.root_id).toBe(root.id);
    expect(reply.message).toMatch(/balloons/);
  });

  it("never answers itself or another bot, and ignores chatter", async () => {
    const ops = h.seed.channels.ops.id;
    const other = h.sandbox.createBot({ username: "otherbot" });
    h.sandbox.addToTeam(h.seed.team.id, other.user.id);
    h.sandbox.addToChannel(ops, other.user.id);
    const fromBot = h.sandbox.post(other.user.id, {
      channel_id: ops,
      message: "@todobot add loop",
    });
    const chatter = h.say("alice", ops, "lunch anyone?");
    // a later message in the same channel is handled after the earlier ones: when it is answered, they were dropped
    await h.replyTo(h.say("alice", ops, "@todobot list"));
    expect(h.botPostsInThread(fromBot)).toHaveLength(0);
    expect(h.botPostsInThread(chatter)).toHaveLength(0);
  });

  it("keeps answering after the WebSocket drops while a user posts, exactly once", async () => {
    const ops = h.seed.channels.ops.id;
    expect(h.sandbox.dropConnections(h.seed.bot.user.id)).toBeGreaterThan(0);
    const during = h.say("alice", ops, "@todobot add posted during the drop");
    const reply = await h.replyTo(during, { timeoutMs: 10_000 });
    expect(reply.message).toMatch(/posted during the drop/);
    await h.replyTo(h.say("alice", ops, "@todobot list")); // sentinel: anything still queued is done
    expect(h.botPostsInThread(during)).toHaveLength(1);
  });

  it("answers a message posted while the bot was stopped, once, after a restart (REST catch-up)", async () => {
    const ops = h.seed.channels.ops.id;
    await h.replyTo(h.say("alice", ops, "@todobot list"));
    await h.bot.stop();
    const whileDown = h.say("alice", ops, "@todobot add posted while down");
    await h.restartBot();
    const reply = await h.replyTo(whileDown, { timeoutMs: 10_000 });
    expect(reply.message).toMatch(/posted while down/);
    await h.replyTo(h.say("alice", ops, "@todobot list"));
    expect(h.botPostsInThread(whileDown)).toHaveLength(1);
  });
});

describe("a catch-up cursor saved ahead of the clock", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it("does not make a restarted bot skip what was posted while it was down", async () => {
    const ops = h.seed.channels.ops.id;
    await h.replyTo(h.say("alice", ops, "@todobot list"));
    await h.bot.stop();
    // what a version that followed a post dated a year ahead (or a clock set back since) left
    const store = await openStore(h.storeUrl);
    await store.kv.set("catchup.cursor", String(Date.now() + 365 * 24 * 3600_000));
    await store.close();
    const whileDown = h.say("alice", ops, "@todobot add posted while down, cursor ahead");
    await h.restartBot();
    const reply = await h.replyTo(whileDown, { timeoutMs: 10_000 });
    expect(reply.message).toMatch(/cursor ahead/);
  });
});

describe("policy end to end", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("replies in the channel when thread_replies is off", async () => {
    h = await startHarness({ policy: { threadReplies: false } });
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot add flat reply");
    const reply = await h.replyTo(post, { inChannel: true });
    expect(reply.root_id).toBe("");
    expect(reply.message).toMatch(/flat reply/);
  });

  it("mention-only ignores 'todo …' without a mention", async () => {
    h = await startHarness({ policy: { mentionOnly: true } });
    const ops = h.seed.channels.ops.id;
    const unaddressed = h.say("alice", ops, "todo add ignored");
    await h.replyTo(h.say("alice", ops, "@todobot list"));
    expect(h.botPostsInThread(unaddressed)).toHaveLength(0);
  });

  it("allowed_users empty: nobody is answered, an addressed user gets one ephemeral refusal", async () => {
    h = await startHarness({ policy: { allowedUsers: [] } });
    const alice = h.seed.users.alice.user.id;
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin"); // may send ephemeral posts
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot add nope");
    const refusal = await h.sandbox.waitForEvent(
      (e) => e.event === "ephemeral_message" && e.broadcast.user_id === alice,
    );
    expect(String(refusal.data.post)).toMatch(/not allowed/);
    expect(h.sandbox.ephemeralPosts(alice)).toHaveLength(1);
    expect(h.botPostsInThread(post)).toHaveLength(0);
  });

  it("allowed_users as a list answers those users only", async () => {
    h = await startHarness({ policy: { allowedUsers: ["bob"] } });
    const ops = h.seed.channels.ops.id;
    const fromAlice = h.say("alice", ops, "@todobot add from alice");
    expect((await h.replyTo(h.say("bob", ops, "@todobot add from bob"))).message).toMatch(
      /from bob/,
    );
    expect(h.botPostsInThread(fromAlice)).toHaveLength(0);
    // a bot with its default roles may not send ephemeral posts (as on a real server): the
    // refusal comes as a direct message instead, once
    const alice = h.seed.users.alice.user.id;
    const refusal = await h.sandbox.waitForPost(
      (p) => p.user_id === h!.seed.bot.user.id && /not allowed/.test(p.message),
    );
    expect(h.sandbox.getChannel(refusal.channel_id)?.type).toBe("D");
    expect(h.sandbox.getChannel(refusal.channel_id)?.name.split("__").sort()).toEqual(
      [alice, h.seed.bot.user.id].sort(),
    );
    expect(h.sandbox.ephemeralPosts(alice)).toHaveLength(0);
    h.say("alice", ops, "@todobot add again");
    await h.replyTo(h.say("bob", ops, "@todobot list"));
    await expect
      .poll(
        () =>
          h!.sandbox.channelPosts(refusal.channel_id).filter((p) => /not allowed/.test(p.message))
            .length,
      )
      .toBe(2);
  });
});

describe("handlers end to end", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      bot: { typingDelayMs: 50, typingIntervalMs: 200 },
      setup: (bot) => {
        bot.command("boom", () => {
          throw new Error("kaboom");
        });
        bot.command("long", (ctx) =>
          ctx.reply(
            Array.from({ length: 2_000 }, (_, i) => `line ${i} ${"x".repeat(20)}`).join("\n"),
          ),
        );
        bot.command("slow", async (ctx) => {
          await new Promise((r) => setTimeout(r, 600));
          await ctx.reply("finally");
        });
        bot.message(/^echo (.+)$/i, (ctx) => ctx.reply(ctx.match[1] ?? ""));
      },
    });
  });
  afterAll(() => h.close());

  it("a handler that throws: the user gets a reference, the bot keeps running", async () => {
    const ops = h.seed.channels.ops.id;
    const reply = await h.replyTo(h.say("alice", ops, "@todobot boom"));
    expect(reply.message).toMatch(/went wrong.*ref `[0-9a-f]{8}`/);
    expect((await h.replyTo(h.say("alice", ops, "@todobot echo still here"))).message).toBe(
      "still here",
    );
  });

  it("splits long output into several posts in the thread", async () => {
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot long");
    await h.replyTo(post);
    await h.replyTo(h.say("alice", h.seed.channels.ops.id, "@todobot echo sentinel"));
    const parts = h.botPostsInThread(post);
    expect(parts.length).toBe(4); // 2,000 lines of ~31 characters ≈ 62 kB: four posts
    for (const p of parts) expect([...p.message].length).toBeLessThanOrEqual(16_383);
    expect(
      parts
        .map((p) => p.message)
        .join("\n")
        .split("\n"),
    ).toHaveLength(2_000);
  });

  it("shows typing while a slow handler runs", async () => {
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot slow");
    const typing = await h.sandbox.waitForEvent(
      (e) => e.event === "typing" && e.data.user_id === h.seed.bot.user.id,
    );
    expect(typing.data.parent_id).toBe(post.id);
    expect((await h.replyTo(post)).message).toBe("finally");
  });
});
