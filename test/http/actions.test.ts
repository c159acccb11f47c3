import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { button, select, type MessageAttachment } from "../../src/http/attachments.js";
import { canonicalJson, signActionContext } from "../../src/http/signature.js";
import type { Post } from "../../src/mattermost/types.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import {
  capturingLogger,
  fixture,
  observingFetch,
  post,
  RECORDED,
  replay,
  type RecordedRequest,
} from "./integration-helpers.js";
import { ROUTES, routeUrls } from "../../src/http/routes.js";

const SECRET = "action-secret-for-tests";
const SLASH_TOKEN = "slashtokenslashtokenslash1";

interface ClickFixture {
  click_button: { sent_by_server: { parsed_body: Record<string, unknown> } };
}

function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("buttons and menus", () => {
  let h: Harness;
  const { logger, lines } = capturingLogger();
  const observed = observingFetch();
  const calls: string[] = [];
  let slowGate = deferred();
  let slowDone = deferred();
  const recordedClick =
    fixture<ClickFixture>("interactive-actions").click_button.sent_by_server.parsed_body;
  const recordedPick = fixture<{ sent_by_server: { parsed_body: Record<string, unknown> }[] }>(
    "interactive-select",
  ).sent_by_server[0]!.parsed_body;

  const list = (): MessageAttachment[] => [
    {
      text: "1. buy milk",
      actions: [
        button("done1", "Done", {
          style: "primary",
          context: { action: "done", item: 1, tags: { b: 2, a: [1, "x"] } },
        }),
        select("pick", "Pick", {
          options: [
            { text: "One", value: "one" },
            { text: "Two", value: "two" },
          ],
          context: { action: "pick" },
        }),
        button("slow", "Slow"),
      ],
    },
  ];

  beforeAll(async () => {
    h = await startHarness({
      bot: {
        logger,
        fetch: observed.fetch,
        http: {
          listen: "127.0.0.1:0",
          actionSecret: SECRET,
          answerWithinMs: 300,
          tokens: { slash: [SLASH_TOKEN] },
        },
      },
      setup: (bot) => {
        bot.command("list", (ctx) => ctx.reply({ text: "Todo list", attachments: list() }));
        bot.action("done1", async (ctx) => {
          calls.push(
            `done1 ${JSON.stringify(ctx.data)} by ${ctx.user.name} on ${ctx.postId === ctx.envelope.payload.post_id}`,
          );
          await ctx.update({ message: "Todo list (1 done)" });
          await ctx.ephemeral(`Marked item ${String(ctx.data.item)} done`);
        });
        bot.slash("/mmtodo", (ctx) =>
          ctx.respond({ response_type: "in_channel", text: "Your list", attachments: list() }),
        );
        bot.action("broken", () => {
          throw new Error("click handler bug");
        });
        bot.action("pick", (ctx) =>
          ctx.update({ message: "Picked", attachments: [{ text: `picked ${ctx.selected}` }] }),
        );
        bot.action("slow", async (ctx) => {
          await slowGate.promise;
          await ctx.update({ message: "Slowly updated", props: { kept: "yes" } });
          await ctx.ephemeral("That took a while");
          slowDone.resolve();
        });
      },
    });
    // ephemeral answers over REST need the System Admin role (create_post_ephemeral)
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin");
  });
  afterAll(() => h.close());

  /** The bot's list post, as alice sees it. */
  async function listPost(): Promise<Post> {
    return h.replyTo(h.say("alice", h.seed.channels.ops.id, "@todobot list"));
  }

  /** The actions as the bot asked Mattermost to store them (integration included). */
  function actionsOf(stored: Post) {
    const sent = observed.sentPosts.findLast(
      (p) => p.channel_id === stored.channel_id && p.message === stored.message,
    )!;
    return (sent.props!.attachments as MessageAttachment[])[0]!.actions!;
  }

  /** What Mattermost sends when `actionId` of `stored` is clicked: the stored context, re-serialised with sorted keys as Go does. */
  function click(stored: Post, actionId: string, extra: Record<string, unknown> = {}) {
    const action = actionsOf(stored).find((a) => a.id === actionId)!;
    const context = JSON.parse(
      canonicalJson({ ...action.integration!.context, ...extra }),
    ) as Record<string, unknown>;
    const body = {
      ...(actionId === "pick" ? recordedPick : recordedClick),
      user_id: h.seed.users.alice.user.id,
      channel_id: stored.channel_id,
      team_id: h.seed.team.id,
      post_id: stored.id,
      context,
    };
    return { url: action.integration!.url, body };
  }

  it("builds the actions pointing at the bot, with a signed context", async () => {
    const stored = await listPost();
    const [done, pick] = actionsOf(stored);
    expect(done).toMatchObject({
      id: "done1",
      name: "Done",
      type: "button",
      style: "primary",
      integration: { url: routeUrls.action(h.httpUrl, "done1") },
    });
    expect(done!.integration!.context).toMatchObject({
      action: "done",
      item: 1,
      _mmbot_sig: expect.stringMatching(/^[0-9a-f]{64}$/),
      _mmbot_exp: expect.stringMatching(/^\d+$/),
    });
    expect(pick).toMatchObject({
      type: "select",
      name: "Pick",
      options: [
        { text: "One", value: "one" },
        { text: "Two", value: "two" },
      ],
    });
  });

  it("runs the handler on a click, which updates the post in place and tells the clicker", async () => {
    const stored = await listPost();
    const { url, body } = click(stored, "done1");
    const answer = await post(url, body);
    expect(answer).toMatchObject({
      status: 200,
      body: {
        update: { message: "Todo list (1 done)", props: {} },
        ephemeral_text: "Marked item 1 done",
      },
    });
    expect(calls.at(-1)).toBe(
      'done1 {"action":"done","item":1,"tags":{"a":[1,"x"],"b":2}} by alice on true',
    );
  });

  it("hands a menu's pick to the handler, and signs the attachments of the update", async () => {
    const stored = await listPost();
    const { url, body } = click(stored, "pick", { selected_option: "two" });
    const answer = await post(url, body);
    expect(answer).toMatchObject({
      status: 200,
      body: { update: { message: "Picked", props: { attachments: [{ text: "picked two" }] } } },
    });
  });

  it("refuses forged, changed, expired, unsigned, misrouted and other-channel clicks with 403, without calling the handler", async () => {
    const stored = await listPost();
    const before = calls.length;
    const good = click(stored, "done1");
    const ctx = good.body.context;
    const cases: [string, string, Record<string, unknown>, string][] = [
      [
        "changed data",
        good.url,
        { ...good.body, context: { ...ctx, item: 2 } },
        "action done1 has a wrong signature (forged, changed, or for another action or channel)",
      ],
      [
        "other channel",
        good.url,
        { ...good.body, channel_id: h.seed.channels.townSquare.id },
        "action done1 has a wrong signature (forged, changed, or for another action or channel)",
      ],
      [
        "other action",
        routeUrls.action(h.httpUrl, "pick"),
        good.body,
        "action pick has a wrong signature (forged, changed, or for another action or channel)",
      ],
      [
        "no signature",
        good.url,
        { ...good.body, context: { action: "done", item: 1 } },
        "action done1 has no signature",
      ],
      [
        "malformed",
        good.url,
        { ...good.body, context: { ...ctx, _mmbot_exp: 12 } },
        "action done1 has a malformed signature",
      ],
      [
        "other key",
        good.url,
        {
          ...good.body,
          context: signActionContext("not-the-secret", {
            actionId: "done1",
            channelId: stored.channel_id,
            expiresAtMs: Date.now() + 60_000,
            data: { item: 1 },
          }),
        },
        "action done1 has a wrong signature (forged, changed, or for another action or channel)",
      ],
      [
        "expired",
        good.url,
        {
          ...good.body,
          context: signActionContext(SECRET, {
            actionId: "done1",
            channelId: stored.channel_id,
            expiresAtMs: Date.now() - 1,
            data: { item: 1 },
          }),
        },
        "action done1 has expired",
      ],
    ];
    for (const [name, url, body, reason] of cases) {
      const answer = await post(url, body);
      expect({ name, status: answer.status, body: answer.body }).toEqual({
        name,
        status: 403,
        body: { error: reason },
      });
      expect(lines.some((line) => line.includes(reason))).toBe(true);
    }
    expect(calls.length).toBe(before);
    // the recorded click itself, straight from the fixture, carries no signature
    const raw = await post(routeUrls.action(h.httpUrl, "done1"), {
      ...recordedClick,
      channel_id: RECORDED.ops,
    });
    expect(raw).toMatchObject({ status: 403, body: { error: "action done1 has no signature" } });
  });

  it("acknowledges a slow click at once, then updates the post and tells the clicker over REST", async () => {
    slowGate = deferred();
    slowDone = deferred();
    const stored = await listPost();
    const { url, body } = click(stored, "slow");
    expect(await post(url, body)).toMatchObject({ status: 200, body: {} });
    slowGate.resolve();
    await slowDone.promise;
    expect(h.sandbox.getPost(stored.id)).toMatchObject({
      message: "Slowly updated",
      props: { kept: "yes" },
    });
    expect(h.sandbox.ephemeralPosts(h.seed.users.alice.user.id).map((p) => p.message)).toContain(
      "That took a while",
    );
  });

  it("signs the buttons of a slash command's answer for its channel, and accepts their clicks", async () => {
    const slash = fixture<{ post_request: RecordedRequest }>("slash-command").post_request;
    const ops = h.seed.channels.ops.id;
    const answer = await replay(h.httpUrl, ROUTES.slash, slash, {
      [RECORDED.alice]: h.seed.users.alice.user.id,
      [RECORDED.ops]: ops,
      [RECORDED.team]: h.seed.team.id,
      "<token>": SLASH_TOKEN,
    });
    const attachments = answer.body.attachments as MessageAttachment[];
    const done = attachments[0]!.actions![0]!;
    expect(done.integration!.url).toBe(routeUrls.action(h.httpUrl, "done1"));
    // Mattermost posts the in_channel answer; a click on it carries the same context
    const stored = h.sandbox.post(h.seed.users.alice.user.id, {
      channel_id: ops,
      message: "Your list",
    });
    const click = await post(done.integration!.url, {
      ...recordedClick,
      user_id: h.seed.users.alice.user.id,
      channel_id: ops,
      post_id: stored.id,
      context: done.integration!.context,
    });
    expect(click).toMatchObject({ status: 200, body: { ephemeral_text: "Marked item 1 done" } });
  });

  it("tells the clicker about a failing handler with a reference", async () => {
    const stored = await listPost();
    const context = signActionContext(SECRET, {
      actionId: "broken",
      channelId: stored.channel_id,
      expiresAtMs: Date.now() + 60_000,
      data: {},
    });
    const answer = await post(routeUrls.action(h.httpUrl, "broken"), {
      ...recordedClick,
      user_id: h.seed.users.alice.user.id,
      channel_id: stored.channel_id,
      post_id: stored.id,
      context,
    });
    expect(answer.status).toBe(200);
    expect(String(answer.body.ephemeral_text)).toMatch(
      /^Sorry, something went wrong while handling that \(ref `[0-9a-f]{8}`\)\.$/,
    );
  });

  it("refuses to build an action whose id Mattermost would not route, naming it", () => {
    expect(() => button("bad_id", "Underscore")).toThrow(
      /action id "bad_id" is not allowed: Mattermost routes clicks only for ids of letters and digits \(e\.g\. "badid"\)/,
    );
    expect(() => select("pick-one", "Pick", { options: [{ text: "a", value: "a" }] })).toThrow(
      /"pick-one"/,
    );
    expect(() => select("pick", "Pick")).toThrow(/select "pick" needs options or a data_source/);
    expect(select("who", "Assignee", { data_source: "users" })).toMatchObject({
      id: "who",
      type: "select",
      data_source: "users",
    });
  });
});
