/**
 * A bot that does not listen itself: its HTTP handler is mounted at /mattermost of a server the
 * user already runs (plain node:http, Fastify, Hono), and the sandbox calls it there exactly as
 * Mattermost would: the slash command, then a click on the button the answer carried.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { button } from "../../src/http/attachments.js";
import { ROUTES, routeUrls } from "../../src/http/routes.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import {
  MOUNT,
  startFastifyHost,
  startHonoHost,
  startNodeHost,
  type Host,
  type HostStarter,
} from "./hosts.js";
import { capturingLogger, post } from "./integration-helpers.js";

const hosts: [string, HostStarter][] = [
  ["plain node:http (node handler)", startNodeHost],
  ["Fastify (node handler)", startFastifyHost],
  ["Hono (fetch handler)", startHonoHost],
];

describe.each(hosts)("the HTTP handler mounted at /mattermost in %s", (_name, startHost) => {
  let host: Host;
  let h: Harness;
  let publicUrl: string;
  const { logger, lines } = capturingLogger();

  beforeAll(async () => {
    host = await startHost(() => h.httpSource!.handler);
    publicUrl = `${host.url}${MOUNT}`;
    h = await startHarness({
      bot: (sandbox, seed) => {
        const command = sandbox.createCommand(seed.users.admin.user.id, {
          team_id: seed.team.id,
          trigger: "mounted",
          url: routeUrls.slash(publicUrl),
        });
        return {
          logger,
          http: {
            publicUrl,
            tokens: { slash: [command.token] },
            actionSecret: "mounted-secret",
            bodyLimitBytes: 4096,
          },
        };
      },
      setup: (bot) => {
        bot.slash("/mounted", (ctx) =>
          ctx.respond({
            response_type: "in_channel",
            text: "Your list",
            attachments: [
              { text: "1. buy milk", actions: [button("done", "Done", { context: { item: 1 } })] },
            ],
          }),
        );
        bot.action("done", (ctx) =>
          ctx.update({ message: `item ${String(ctx.data.item)} done by @${ctx.user.name}` }),
        );
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await host?.close();
  });

  it("serves a slash command there, and the click on its button comes back through the same mount", async () => {
    const alice = h.seed.users.alice.user.id;
    const ops = h.seed.channels.ops.id;
    expect(await h.sandbox.runSlashCommand(alice, ops, "/mounted list")).toMatchObject({
      response_type: "in_channel",
      text: "Your list",
    });
    const list = h.sandbox.channelPosts(ops).at(-1)!;
    expect(list.message).toBe("Your list");

    expect(await h.sandbox.clickAction(alice, list.id, "done")).toMatchObject({ status: "OK" });
    expect(h.sandbox.getPost(list.id)!.message).toBe("item 1 done by @alice");
    // the button was signed with the public URL, prefix included: the host handed the click over
    expect(host.handedOver).toEqual([`${MOUNT}${ROUTES.slash}`, `${MOUNT}${ROUTES.actions}/done`]);
    expect(h.httpUrl).toBe(publicUrl);
    expect(await (await fetch(host.url)).text()).toBe("the host's own page");
    expect((await fetch(routeUrls.healthz(publicUrl))).status).toBe(200);
  });

  it("refuses an oversized body (413), a malformed one (400) and an unknown route (404) with a reason", async () => {
    const big = await post(routeUrls.outgoingWebhook(publicUrl), {
      token: "x",
      text: "y".repeat(5000),
    });
    expect(big).toMatchObject({ status: 413, body: { error: "the body is too large" } });
    const broken = await post(`${publicUrl}${ROUTES.dialogs}`, '{"callback_id": ');
    expect(broken).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^malformed JSON body: /) },
    });
    const formClick = await post(`${publicUrl}${ROUTES.actions}/done`, "user_id=x", {
      "content-type": "application/x-www-form-urlencoded",
    });
    expect(formClick).toMatchObject({
      status: 415,
      body: {
        error:
          "unsupported content type application/x-www-form-urlencoded: expected application/json",
      },
    });
    expect(await post(`${publicUrl}/hooks/incoming`, {})).toMatchObject({
      status: 404,
      body: { error: "no such route: POST /hooks/incoming" },
    });
    // logged with the route as the receiver sees it, under its mount
    expect(
      lines.some(
        (line) =>
          line.includes('"route":"/hooks/incoming"') &&
          line.includes("http: refused: no such route"),
      ),
    ).toBe(true);
  });
});
