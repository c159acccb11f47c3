import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlashContext } from "../../src/bot/interaction-context.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import {
  capturingLogger,
  fixture,
  RECORDED,
  replay,
  startResponseUrlServer,
  type RecordedRequest,
} from "./integration-helpers.js";
import { ROUTES } from "../../src/http/routes.js";

const SLASH_TOKEN = "slashtokenslashtokenslash1";

/** A promise the test resolves: lets a handler wait until the HTTP request was acknowledged. */
function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe("slash commands", () => {
  let h: Harness;
  let responseUrl: Awaited<ReturnType<typeof startResponseUrlServer>>;
  const { logger, lines } = capturingLogger();
  const recorded = fixture<{
    post_request: RecordedRequest;
    post_request_ephemeral: RecordedRequest;
    get_request: RecordedRequest;
  }>("slash-command");
  let seen: SlashContext | undefined;
  let handler: (ctx: SlashContext) => unknown = () => undefined;

  beforeAll(async () => {
    responseUrl = await startResponseUrlServer();
    h = await startHarness({
      bot: {
        logger,
        http: { listen: "127.0.0.1:0", tokens: { slash: [SLASH_TOKEN] }, answerWithinMs: 300 },
      },
      setup: (bot) => {
        bot.slash("/mmtodo", (ctx) => {
          seen = ctx;
          return handler(ctx);
        });
        bot.slash("mmtodoget", (ctx) =>
          ctx.respond({ text: `get: ${ctx.text}`, response_type: "in_channel" }),
        );
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await responseUrl.close();
  });

  const world = () => ({
    [RECORDED.alice]: h.seed.users.alice.user.id,
    [RECORDED.ops]: h.seed.channels.ops.id,
    [RECORDED.team]: h.seed.team.id,
    "<token>": SLASH_TOKEN,
    [encodeURIComponent("http://127.0.0.1:8065/hooks/commands/")]: encodeURIComponent(
      responseUrl.url,
    ),
    "http://127.0.0.1:8065/hooks/commands/": responseUrl.url,
  });
  const send = (request: RecordedRequest = recorded.post_request) =>
    replay(h.httpUrl, ROUTES.slash, request, world());

  it("answers inline and hands the handler the command, text, user, channel, team, trigger id and response url", async () => {
    handler = (ctx) =>
      ctx.respond({
        text: "Your list",
        response_type: "in_channel",
        goto_location: "",
        props: { from: "todo" },
      });
    const answer = await send();
    expect(answer).toMatchObject({
      status: 200,
      body: { response_type: "in_channel", text: "Your list", props: { from: "todo" } },
    });
    expect(seen).toMatchObject({
      command: "/mmtodo",
      text: "list",
      user: { id: h.seed.users.alice.user.id, name: "alice" },
      channel: { id: h.seed.channels.ops.id, name: "ops" },
      teamId: h.seed.team.id,
      envelope: {
        payload: { team_domain: "acme", trigger_id: recorded.post_request.parsed_body.trigger_id },
      },
      responseUrl: `${responseUrl.url}dk5bmxrftfdp7c9mux3dupw3zh`,
    });
  });

  it("answers ephemeral by default, and a GET command too", async () => {
    handler = (ctx) => ctx.respond("only you see this");
    expect((await send(recorded.post_request_ephemeral)).body).toEqual({
      response_type: "ephemeral",
      text: "only you see this",
    });
    const get = await send(recorded.get_request);
    expect(get).toMatchObject({
      status: 200,
      body: { response_type: "in_channel", text: "get: hello world" },
    });
  });

  it("acknowledges a slow handler at once with an empty answer, and delivers its answer through response_url", async () => {
    const acked = gate();
    handler = async (ctx) => {
      await acked.wait;
      await ctx.respond({ text: "done after a while", response_type: "in_channel" });
    };
    const answer = await send();
    expect(answer).toMatchObject({ status: 200, body: {} });
    acked.open();
    expect(await responseUrl.next()).toEqual({
      response_type: "in_channel",
      text: "done after a while",
    });
  });

  it("answers inline and later through respondLater()", async () => {
    const acked = gate();
    handler = async (ctx) => {
      await ctx.respond("working on it…");
      await acked.wait;
      await ctx.respondLater({ text: "finished", response_type: "in_channel" });
    };
    expect((await send()).body).toEqual({ response_type: "ephemeral", text: "working on it…" });
    acked.open();
    expect(await responseUrl.next()).toEqual({ response_type: "in_channel", text: "finished" });
  });

  it("tells the user about a failing handler with a reference, inline or later, and logs the stack", async () => {
    handler = () => {
      throw new Error("database on fire");
    };
    const answer = await send();
    expect(answer.body.response_type).toBe("ephemeral");
    const ref = /\(ref `([0-9a-f]{8})`\)/.exec(String(answer.body.text))?.[1];
    expect(ref).toBeDefined();
    const logged = lines.find((line) => line.includes(ref!));
    expect(logged).toContain("database on fire");
    expect(logged).toContain("slash.test.ts"); // the stack

    const acked = gate();
    handler = async () => {
      await acked.wait;
      throw new Error("late failure");
    };
    expect((await send()).body).toEqual({});
    acked.open();
    const later = (await responseUrl.next()) as { response_type: string; text: string };
    expect(later.response_type).toBe("ephemeral");
    expect(later.text).toMatch(
      /^Sorry, something went wrong while handling that \(ref `[0-9a-f]{8}`\)\.$/,
    );
  });

  it("reads a form field sent twice as its last value, and a field named __proto__ as a plain field", async () => {
    handler = (ctx) => ctx.respond(`text: ${ctx.text}`);
    const repeated = {
      ...recorded.post_request,
      raw_body: `${recorded.post_request.raw_body.replace("text=list", "text=first")}&text=second&__proto__=x`,
    };
    expect((await send(repeated)).body).toEqual({
      response_type: "ephemeral",
      text: "text: second",
    });
  });

  it("answers a command nobody handles, so the user is never left without an answer", async () => {
    const unknown = {
      ...recorded.post_request,
      raw_body: recorded.post_request.raw_body.replace("command=%2Fmmtodo", "command=%2Fnope"),
    };
    expect((await send(unknown)).body).toEqual({
      response_type: "ephemeral",
      text: "Sorry, /nope is not handled by @todobot.",
    });
  });
});

describe("slash commands and the policy", () => {
  it("refuses a user not in policy.allowed_users, without calling the handler", async () => {
    let called = false;
    const h = await startHarness({
      policy: { allowedUsers: ["bob"] },
      bot: { http: { listen: "127.0.0.1:0", tokens: { slash: [SLASH_TOKEN] } } },
      setup: (bot) => void bot.slash("/mmtodo", () => void (called = true)),
    });
    try {
      const request = fixture<{ post_request: RecordedRequest }>("slash-command").post_request;
      const answer = await replay(h.httpUrl, ROUTES.slash, request, {
        [RECORDED.alice]: h.seed.users.alice.user.id,
        "<token>": SLASH_TOKEN,
      });
      expect(answer.body).toEqual({
        response_type: "ephemeral",
        text: "Sorry, you are not allowed to use @todobot. Ask an admin to add you to its allowed users.",
      });
      expect(called).toBe(false);
    } finally {
      await h.close();
    }
  });
});
