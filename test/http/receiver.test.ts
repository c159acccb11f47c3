import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { HttpReceiver } from "../../src/http/receiver.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import {
  capturingLogger,
  fixture,
  post,
  RECORDED,
  replay,
  type RecordedRequest,
} from "./integration-helpers.js";
import { ROUTES, routeUrls } from "../../src/http/routes.js";

const HOOK_TOKEN = "hooktokenhooktokenhooktok1";
const OTHER_HOOK_TOKEN = "hooktokenhooktokenhooktok2";
const SLASH_TOKEN = "slashtokenslashtokenslash1";

describe("HTTP receiver: every request is checked before any work", () => {
  let h: Harness;
  let url: string;
  const { logger, lines } = capturingLogger();
  const handled: string[] = [];
  const hookForm = fixture<{ sent_by_server: RecordedRequest }>(
    "outgoing-webhook-form",
  ).sent_by_server;
  const slashPost = fixture<{ post_request: RecordedRequest }>("slash-command").post_request;
  let ids: Record<string, string>;

  beforeAll(async () => {
    h = await startHarness({
      bot: {
        logger,
        http: {
          listen: "127.0.0.1:0",
          tokens: { outgoingWebhook: [HOOK_TOKEN, OTHER_HOOK_TOKEN], slash: [SLASH_TOKEN] },
          actionSecret: "a-secret-for-tests",
          bodyLimitBytes: 4096,
        },
      },
      setup: (bot) => {
        bot.on(
          "message",
          (ctx) => void (ctx.envelope.source === "webhook" && handled.push(ctx.post.id)),
        );
        bot.slash("/mmtodo", (ctx) => ctx.respond(`got ${ctx.text}`));
      },
    });
    url = h.httpUrl;
    const root = h.say("alice", h.seed.channels.ops.id, "mmtodo add buy milk");
    ids = {
      [RECORDED.alice]: h.seed.users.alice.user.id,
      [RECORDED.ops]: h.seed.channels.ops.id,
      [RECORDED.team]: h.seed.team.id,
      rch34sqc5inepeiwpi9qkucabe: root.id,
    };
  });
  afterAll(() => h.close());

  it("answers /healthz", async () => {
    const response = await fetch(routeUrls.healthz(url));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("refuses an outgoing webhook with a wrong or missing token (401) and logs the reason, not the token", async () => {
    const wrong = await replay(url, ROUTES.outgoingWebhook, hookForm, {
      ...ids,
      "<token>": "wrongtokenwrongtokenwrong1",
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: "wrong outgoing webhook token" });
    const missing = await replay(url, ROUTES.outgoingWebhook, hookForm, {
      ...ids,
      "&token=<token>": "",
    });
    expect(missing).toMatchObject({
      status: 401,
      body: { error: "missing outgoing webhook token" },
    });
    const log = lines.join("\n");
    expect(log).toContain("wrong outgoing webhook token");
    expect(log).not.toContain("wrongtokenwrongtokenwrong1");
    expect(handled).toEqual([]);
  });

  it("accepts any of several tokens", async () => {
    for (const token of [HOOK_TOKEN, OTHER_HOOK_TOKEN]) {
      const ok = await replay(url, ROUTES.outgoingWebhook, hookForm, { ...ids, "<token>": token });
      expect(ok.status).toBe(200);
    }
  });

  it("refuses a slash command with a wrong token in the header or the field, never logging the query", async () => {
    const wrongHeader = await replay(url, ROUTES.slash, slashPost, {
      ...ids,
      "Token <token>": "Token nottheslashtokennotthe1",
      "<token>": SLASH_TOKEN,
    });
    expect(wrongHeader).toMatchObject({
      status: 401,
      body: { error: "wrong slash command token" },
    });
    const getRequest = fixture<{ get_request: RecordedRequest }>("slash-command").get_request;
    const wrongQuery = await replay(
      url,
      ROUTES.slash,
      { ...getRequest, headers: { accept: "application/json" } },
      { ...ids, "<token>": "querytokenquerytokenquery1" },
    );
    expect(wrongQuery).toMatchObject({ status: 401, body: { error: "wrong slash command token" } });
    expect(lines.join("\n")).not.toContain("querytokenquerytokenquery1");
    const right = await replay(url, ROUTES.slash, slashPost, { ...ids, "<token>": SLASH_TOKEN });
    expect(right).toMatchObject({
      status: 200,
      body: { response_type: "ephemeral", text: "got list" },
    });
  });

  it("refuses a route whose tokens are not configured", async () => {
    const { logger: quiet } = capturingLogger();
    const bare = await startHarness({
      bot: { logger: quiet, http: { listen: "127.0.0.1:0" } },
      setup: () => undefined,
    });
    try {
      const hook = await replay(bare.httpUrl, ROUTES.outgoingWebhook, hookForm, {
        "<token>": HOOK_TOKEN,
      });
      expect(hook).toMatchObject({
        status: 401,
        body: {
          error: "outgoing webhooks are not enabled: set the HTTP source's tokens.outgoingWebhook",
        },
      });
      const click = await post(routeUrls.action(bare.httpUrl, "done"), {
        user_id: "u",
        channel_id: "c",
        post_id: "p",
        context: {},
      });
      // no secret configured: the bot made one, so an unsigned click is refused for its signature
      expect(click).toMatchObject({
        status: 403,
        body: { error: expect.stringMatching(/signature/) },
      });
    } finally {
      await bare.close();
    }
  });

  it("refuses a wrong content type (415), an oversized body (413), malformed JSON and missing fields (400)", async () => {
    const asText = await post(routeUrls.outgoingWebhook(url), "token=x", {
      "content-type": "text/plain",
    });
    expect(asText.status).toBe(415);
    expect(asText.body.error).toMatch(
      /^unsupported content type text\/plain: expected application\/x-www-form-urlencoded or application\/json$/,
    );
    const xml = await post(routeUrls.action(url, "done"), "<click/>", {
      "content-type": "application/xml",
    });
    expect(xml.status).toBe(415);
    const formClick = await post(routeUrls.action(url, "done"), "user_id=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(formClick).toMatchObject({
      status: 415,
      body: {
        error:
          "unsupported content type application/x-www-form-urlencoded: expected application/json",
      },
    });

    const big = await replay(url, ROUTES.outgoingWebhook, hookForm, {
      ...ids,
      "<token>": HOOK_TOKEN,
      "mmtodo+add+buy+milk": "x".repeat(5000),
    });
    expect(big).toMatchObject({ status: 413, body: { error: "the body is too large" } });

    const broken = await post(routeUrls.outgoingWebhook(url), '{"token": "x", ', {
      "content-type": "application/json",
    });
    expect(broken.status).toBe(400);
    expect(typeof broken.body.error).toBe("string");
    const noPost = await post(routeUrls.outgoingWebhook(url), {
      token: HOOK_TOKEN,
      team_id: "t",
      channel_id: "c",
      user_id: "u",
      text: "mmtodo x",
    });
    expect(noPost).toMatchObject({
      status: 400,
      body: {
        error:
          "malformed outgoing webhook: field post_id: Invalid input: expected string, received undefined",
      },
    });
    const array = await post(`${url}${ROUTES.dialogs}`, [1, 2]);
    expect(array).toMatchObject({
      status: 400,
      body: { error: "malformed dialog submission: the body is not an object" },
    });
    expect(handled).toEqual([]);
  });

  it("answers an unknown route with 404 and a reason", async () => {
    expect(await post(`${url}/hooks/incoming`, {})).toMatchObject({
      status: 404,
      body: { error: "no such route: POST /hooks/incoming" },
    });
  });
});

describe("HTTP receiver: failures it cannot foresee", () => {
  it("answers 200 with a reference instead of a 5xx when a handler blows up, and keeps serving", async () => {
    const { logger, lines } = capturingLogger();
    const explode = async (): Promise<object> => {
      throw new Error("unexpected");
    };
    const receiver = new HttpReceiver({
      listen: "127.0.0.1:0",
      tokens: { slash: [SLASH_TOKEN] },
      logger,
      handlers: { outgoingWebhook: explode, slash: explode, action: explode, dialog: explode },
    });
    await receiver.start();
    try {
      const slash = fixture<{ post_request: RecordedRequest }>("slash-command").post_request;
      const answer = await replay(receiver.publicUrl, ROUTES.slash, slash, {
        "<token>": SLASH_TOKEN,
      });
      expect(answer.status).toBe(200);
      const ref = /ref ([0-9a-f]{8})/.exec(String(answer.body.text))?.[1];
      expect(lines.find((line) => ref && line.includes(ref))).toContain("unexpected");
      expect((await fetch(routeUrls.healthz(receiver.publicUrl))).status).toBe(200);
    } finally {
      await receiver.stop();
    }
  });

  it("names http.listen when it cannot listen", async () => {
    const { logger } = capturingLogger();
    const handlers = {
      outgoingWebhook: async () => ({}),
      slash: async () => ({}),
      action: async () => ({}),
      dialog: async () => ({}),
    };
    const first = new HttpReceiver({ listen: "127.0.0.1:0", tokens: {}, logger, handlers });
    await first.start();
    try {
      const taken = new URL(first.publicUrl).host;
      await expect(
        new HttpReceiver({ listen: taken, tokens: {}, logger, handlers }).start(),
      ).rejects.toThrow(
        new RegExp(
          `^http\\.listen = "${taken}": cannot listen \\(.*EADDRINUSE.*\\); choose another address or port$`,
        ),
      );
      await expect(
        new HttpReceiver({ listen: "3000", tokens: {}, logger, handlers }).start(),
      ).rejects.toThrow(ConfigError);
    } finally {
      await first.stop();
    }
  });
});
