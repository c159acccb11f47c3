import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness } from "../helpers/harness.js";
import { fixture, RECORDED, replay, type RecordedRequest } from "./integration-helpers.js";
import { ROUTES } from "../../src/http/routes.js";

function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

const HOOK_TOKEN = "hooktokenhooktokenhooktok1";

describe("outgoing webhooks: a posted event through the same router, policy and outbox", () => {
  let h: Harness;
  let slow = gate();
  const hookForm = fixture<{ sent_by_server: RecordedRequest }>(
    "outgoing-webhook-form",
  ).sent_by_server;
  const hookJson = fixture<{ sent_by_server: RecordedRequest }>(
    "outgoing-webhook-json-in-thread",
  ).sent_by_server;
  const world = () => ({
    [RECORDED.alice]: h.seed.users.alice.user.id,
    [RECORDED.ops]: h.seed.channels.ops.id,
    [RECORDED.team]: h.seed.team.id,
    "<token>": HOOK_TOKEN,
  });

  beforeAll(async () => {
    h = await startHarness({
      bot: {
        http: {
          listen: "127.0.0.1:0",
          tokens: { outgoingWebhook: [HOOK_TOKEN] },
          answerWithinMs: 300,
          triggerWords: ["mmtodo", "!mmtodo"],
        },
      },
      setup: (bot) => {
        bot.command(["add", "list"], (ctx) =>
          ctx.reply(
            `${ctx.command}: ${ctx.args || "-"} (text "${ctx.text}", via ${ctx.envelope.source})`,
          ),
        );
        bot.command("ping", (ctx) => ctx.reply("pong"));
        bot.command("slow", async (ctx) => {
          await slow.wait;
          await ctx.reply("finally");
        });
      },
    });
  });
  afterAll(() => h.close());

  it("handles a form-encoded webhook: trigger word removed, reply in the post's thread, once even after the WebSocket catches up", async () => {
    const ops = h.seed.channels.ops.id;
    const root = await h.withoutWebSocket(async () => {
      const root = h.say("alice", ops, "mmtodo add buy milk");
      const answer = await replay(h.httpUrl, ROUTES.outgoingWebhook, hookForm, {
        ...world(),
        rch34sqc5inepeiwpi9qkucabe: root.id,
      });
      expect(answer).toMatchObject({ status: 200, body: {} });
      return root;
    });
    const reply = await h.replyTo(root);
    expect(reply.message).toBe('add: buy milk (text "add buy milk", via webhook)');
    expect(reply.root_id).toBe(root.id);
    // the WebSocket is back and catches up on the same post: a later message is answered, the first is not answered again
    expect((await h.replyTo(h.say("alice", ops, "@todobot ping"))).message).toBe("pong");
    expect(h.botPostsInThread(root)).toHaveLength(1);
  });

  it("handles a JSON webhook for a thread reply: looks the post up and answers in the root's thread", async () => {
    const ops = h.seed.channels.ops.id;
    const root = h.say("alice", ops, "planning");
    await h.withoutWebSocket(async () => {
      const inThread = h.say("alice", ops, "!mmtodo list", root.id);
      const answer = await replay(h.httpUrl, ROUTES.outgoingWebhook, hookJson, {
        ...world(),
        ed8x4qzx87ffjgtfzx6scsjx9h: inThread.id,
      });
      expect(answer).toMatchObject({ status: 200, body: {} });
      const reply = await h.replyTo(inThread);
      expect(reply.root_id).toBe(root.id);
      expect(reply.message).toBe('list: - (text "list", via webhook)');
    });
  });

  it("handles a post that arrives over both the WebSocket and the webhook once", async () => {
    const ops = h.seed.channels.ops.id;
    const post = h.say("alice", ops, "mmtodo add call the plumber");
    const answer = await replay(h.httpUrl, ROUTES.outgoingWebhook, hookForm, {
      ...world(),
      rch34sqc5inepeiwpi9qkucabe: post.id,
      "mmtodo+add+buy+milk": "mmtodo+add+call+the+plumber",
    });
    expect(answer.status).toBe(200);
    const reply = await h.replyTo(post);
    // whichever arrived first, the handler saw the same text
    expect(reply.message).toMatch(
      /^add: call the plumber \(text "add call the plumber", via (webhook|websocket)\)$/,
    );
    expect((await h.replyTo(h.say("alice", ops, "@todobot ping"))).message).toBe("pong");
    expect(h.botPostsInThread(post)).toHaveLength(1);
  });

  it("acknowledges a slow handler with an empty answer; its reply still arrives in the thread", async () => {
    slow = gate();
    const ops = h.seed.channels.ops.id;
    const root = await h.withoutWebSocket(async () => {
      const root = h.say("alice", ops, "mmtodo slow");
      expect(
        await replay(h.httpUrl, ROUTES.outgoingWebhook, hookForm, {
          ...world(),
          rch34sqc5inepeiwpi9qkucabe: root.id,
          "mmtodo+add+buy+milk": "mmtodo+slow",
        }),
      ).toMatchObject({ status: 200, body: {} });
      return root;
    });
    slow.open();
    const reply = await h.replyTo(root);
    expect(reply.message).toBe("finally");
  });

  it("ignores the bot's own post when it triggers the webhook (no loop)", async () => {
    const own = h.sandbox.post(h.seed.bot.user.id, {
      channel_id: h.seed.channels.ops.id,
      message: "mmtodo add loop",
    });
    const answer = await replay(h.httpUrl, ROUTES.outgoingWebhook, hookForm, {
      ...world(),
      rch34sqc5inepeiwpi9qkucabe: own.id,
      [`user_id=${RECORDED.alice}`]: `user_id=${h.seed.bot.user.id}`,
    });
    expect(answer).toMatchObject({ status: 200, body: {} });
    expect(h.botPostsInThread(own)).toHaveLength(1); // the root itself, no reply
  });

  it("answers in the channel with a reference when the post cannot be read", async () => {
    const answer = await replay(h.httpUrl, ROUTES.outgoingWebhook, hookForm, {
      ...world(),
      rch34sqc5inepeiwpi9qkucabe: "nosuchpostnosuchpostnosuch",
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ response_type: "comment" });
    expect(String(answer.body.text)).toMatch(
      /^Sorry, I could not read that message \(ref `[0-9a-f]{8}`\)\.$/,
    );
  });
});
