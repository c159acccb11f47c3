/**
 * One pipeline for every kind of event, driven by the sandbox over real HTTP and WebSocket: one
 * `use` middleware sees a post, a slash command, a click and a dialog submission alike; one
 * `catch` gets what any handler throws while the user sees the reference; a store that fails
 * while claiming is retried, and logged with the event's id when it stays down.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { button } from "../../src/http/attachments.js";
import { openStore, type Store } from "../../src/store/index.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { freePort } from "../helpers/ports.js";
import { until } from "../helpers/cli.js";

function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split("\n"))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

describe("one chain for every kind of event", () => {
  let h: Harness;
  const seen: string[] = [];
  const caught: { ref: string; kind: string; message: string }[] = [];

  beforeAll(async () => {
    const port = await freePort();
    h = await startHarness({
      bot: (sandbox, seed) => {
        const command = sandbox.createCommand(seed.users.admin.user.id, {
          team_id: seed.team.id,
          trigger: "pipe",
          url: `http://127.0.0.1:${port}/slash`,
        });
        return {
          http: {
            listen: `127.0.0.1:${port}`,
            tokens: { slash: [command.token] },
            actionSecret: "pipeline-secret",
          },
        };
      },
      setup: (bot) => {
        bot.use(async (ctx, next) => {
          seen.push(`${ctx.kind} by ${ctx.user.id}`);
          await next();
        });
        bot.catch(async (error, ctx) => {
          caught.push({
            ref: error.reference,
            kind: ctx.kind,
            message: error.cause instanceof Error ? error.cause.message : "",
          });
          await ctx.ephemeral(`It broke (ref ${error.reference}).`);
        });
        bot.command("menu", (ctx) =>
          ctx.reply({
            text: "Pick",
            attachments: [{ actions: [button("ok", "OK"), button("broken", "Broken")] }],
          }),
        );
        bot.slash("/pipe", (ctx) =>
          ctx.openDialog({
            callback_id: "pipedialog",
            title: "Pipe",
            elements: [{ display_name: "Text", name: "text", type: "text" }],
          }),
        );
        bot.action("ok", (ctx) => ctx.update({ message: "Picked" }));
        bot.action("broken", () => {
          throw new Error("click handler bug");
        });
        bot.dialog("pipedialog", (ctx) => ctx.ephemeralPost(`got ${String(ctx.submission.text)}`));
      },
    });
  });
  afterAll(() => h.close());

  it("shows a post, a slash command, a click and a dialog submission to one middleware", async () => {
    const alice = h.seed.users.alice.user.id;
    const ops = h.seed.channels.ops.id;
    const question = h.say("alice", ops, "@todobot menu");
    const menu = await h.replyTo(question);
    await h.sandbox.clickAction(alice, menu.id, "ok");
    await h.sandbox.runSlashCommand(alice, ops, "/pipe");
    const dialog = h.sandbox.lastOpenedDialog(alice)!;
    expect(
      await h.sandbox.submitDialog(alice, {
        url: dialog.url,
        callback_id: "pipedialog",
        channel_id: ops,
        team_id: h.seed.team.id,
        submission: { text: "hello" },
      }),
    ).toEqual({});
    expect(seen.filter((s) => s.endsWith(`by ${alice}`))).toEqual(
      ["message", "action", "slash", "dialog"].map((kind) => `${kind} by ${alice}`),
    );
  });

  it("hands an action handler's error to bot.catch, and the user sees its reference", async () => {
    const alice = h.seed.users.alice.user.id;
    const menu = await h.replyTo(h.say("alice", h.seed.channels.ops.id, "@todobot menu"));
    await h.sandbox.clickAction(alice, menu.id, "broken");
    expect(caught).toHaveLength(1);
    expect(caught[0]).toMatchObject({ kind: "action", message: "click handler bug" });
    // the click's answer, shown to alice only
    expect(h.sandbox.ephemeralPosts(alice).map((p) => p.message)).toContain(
      `It broke (ref ${caught[0]!.ref}).`,
    );
  });
});

describe("a store that fails while claiming", () => {
  let h: Harness;
  let failures = 0;
  const { logger, lines } = logCapture();
  let real: Store;

  beforeAll(async () => {
    real = await openStore("sqlite::memory:");
    // the real store, its claims failing `failures` times in a row
    const flaky: Store = {
      ...real,
      claims: {
        claim: (id, owner) =>
          failures-- > 0
            ? Promise.reject(new Error("database is locked"))
            : real.claims.claim(id, owner),
      } as Store["claims"],
    };
    h = await startHarness({
      bot: { logger, store: flaky },
      setup: (bot) => void bot.command("ping", (ctx) => ctx.reply("pong")),
    });
  });
  afterAll(async () => {
    await h.close();
    await real.close();
  });

  it("retries the claim and handles the post", async () => {
    failures = 2;
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot ping");
    expect((await h.replyTo(post)).message).toBe("pong");
    expect(
      lines.filter(
        (l) =>
          l.msg === "pipeline: cannot claim the post in the store; retrying" &&
          l.eventId === post.id,
      ),
    ).toHaveLength(2);
  });

  it("logs the post's id when the store stays down, and does not answer it", async () => {
    failures = 100;
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot ping");
    await until(
      () =>
        lines.find(
          (l) =>
            l.msg === "pipeline: cannot claim the post in the store; not handled" &&
            l.eventId === post.id,
        ),
      "the drop logged",
    );
    expect(h.botPostsInThread(post)).toEqual([]);
    failures = 0;
  });
});
