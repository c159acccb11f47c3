/**
 * `/metrics` and `/readyz` on the HTTP source's listener, with a bot talking to the sandbox over
 * real HTTP and WebSocket: what a Prometheus scrape and a readiness probe see after messages, a
 * slash command, a click, a refusal and a lost WebSocket.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { button } from "../../src/http/attachments.js";
import { routeUrls } from "../../src/http/routes.js";
import type { Post } from "../../src/mattermost/types.js";
import { BotMetrics } from "../../src/metrics/bot-metrics.js";
import { metricsRequestHandler } from "../../src/metrics/endpoint.js";
import { until } from "../helpers/cli.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { freePort } from "../helpers/ports.js";
import { readyz, scrape, valueOf } from "./metrics-text.js";

describe("/metrics and /readyz on the HTTP source's listener", () => {
  let h: Harness;
  let metrics: BotMetrics;
  let channel: string;

  beforeAll(async () => {
    const port = await freePort();
    metrics = new BotMetrics();
    h = await startHarness({
      policy: { allowedUsers: ["alice"] },
      setup: (bot) => {
        bot.message(/^hello/, (ctx) => ctx.reply("hi"));
        bot.message(/^explode/, () => {
          throw new Error("a handler's bug");
        });
        bot.slash("/panel", (ctx) =>
          ctx.respond({
            response_type: "in_channel",
            text: "panel",
            attachments: [{ text: "", actions: [button("press", "Press")] }],
          }),
        );
        bot.action("press", (ctx) => ctx.ephemeral("pressed"));
      },
      bot: (sandbox, seed) => {
        const command = sandbox.createCommand(seed.users.admin.user.id, {
          team_id: seed.team.id,
          trigger: "panel",
          url: routeUrls.slash(`http://127.0.0.1:${port}`),
        });
        return {
          observer: metrics,
          http: {
            listen: `127.0.0.1:${port}`,
            tokens: { slash: [command.token] },
            alsoServe: metricsRequestHandler(metrics),
          },
        };
      },
    });
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin");
    channel = h.sandbox.createChannel({
      team_id: h.seed.team.id,
      name: `metrics-${randomBytes(3).toString("hex")}`,
    }).id;
    for (const who of [h.seed.users.alice.user.id, h.seed.users.bob.user.id, h.seed.bot.user.id])
      h.sandbox.addToChannel(channel, who);
  });
  afterAll(() => h?.close());

  it("counts messages, a slash command, a click, a refusal and a failing handler, by kind, source and reason", async () => {
    for (const n of [1, 2, 3])
      expect((await h.replyTo(h.say("alice", channel, `hello ${n}`))).message).toBe("hi");
    const failing = h.say("alice", channel, "explode");
    expect((await h.replyTo(failing)).message).toMatch(/went wrong|ref/i);
    const alice = h.seed.users.alice.user.id;
    const bob = h.seed.users.bob.user.id;
    expect((await h.sandbox.runSlashCommand(alice, channel, "/panel")).text).toBe("panel");
    const panel = await until(
      () => h.sandbox.channelPosts(channel).find((p: Post) => p.message === "panel"),
      "the panel post",
    );
    expect(await h.sandbox.clickAction(alice, panel.id, "press")).toMatchObject({ status: "OK" });
    expect((await h.sandbox.runSlashCommand(bob, channel, "/panel")).text).toMatch(/not allowed/);

    // the handlers' counters move once the handlers return, a moment after their answers show
    const text = await until(async () => {
      const t = await scrape(h.httpUrl);
      return valueOf(t, "mmbot_events_handled_total", { kind: "action", outcome: "ok" }) === 1 &&
        valueOf(t, "mmbot_events_handled_total", { kind: "message", outcome: "error" }) === 1
        ? t
        : undefined;
    }, "the click and the failure counted");
    expect(valueOf(text, "mmbot_events_handled_total", { kind: "message", outcome: "ok" })).toBe(3);
    expect(valueOf(text, "mmbot_events_handled_total", { kind: "slash", outcome: "ok" })).toBe(1);
    expect(valueOf(text, "mmbot_events_received_total", { kind: "slash", source: "http" })).toBe(2);
    expect(valueOf(text, "mmbot_events_received_total", { kind: "action", source: "http" })).toBe(
      1,
    );
    // alice's four posts and the bot's own (its replies, echoed back over the WebSocket)
    expect(
      valueOf(text, "mmbot_events_received_total", { kind: "message", source: "websocket" }),
    ).toBeGreaterThanOrEqual(4);
    expect(
      valueOf(text, "mmbot_events_dropped_total", { kind: "message", reason: "own post" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      valueOf(text, "mmbot_events_refused_total", { kind: "slash", reason: "user not allowed" }),
    ).toBe(1);
    expect(valueOf(text, "mmbot_handler_duration_seconds_count", { kind: "message" })).toBe(4);
    expect(valueOf(text, "mmbot_handler_duration_seconds_count", { kind: "slash" })).toBe(1);
    // the three "hi" and the failure's answer went through the outbox; none is left waiting
    expect(valueOf(text, "mmbot_outbox_posts_total", { outcome: "sent" })).toBe(4);
    expect(valueOf(text, "mmbot_outbox_pending")).toBe(0);
    expect(
      valueOf(text, "mmbot_rest_requests_total", { method: "POST", status: "201" }),
    ).toBeGreaterThanOrEqual(4);
    expect(valueOf(text, "mmbot_source_state", { source: "websocket", state: "connected" })).toBe(
      1,
    );
    expect(valueOf(text, "mmbot_process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(text).toContain("# TYPE mmbot_handler_duration_seconds histogram");
  });

  it("is ready while connected and the store answers; 503 with the reason while the WebSocket is refused; ready again after", async () => {
    expect(await readyz(h.httpUrl)).toEqual({
      status: 200,
      body: { status: "ready", checks: { store: { ok: true }, websocket: { ok: true } } },
    });
    await h.withoutWebSocket(async () => {
      // reconnecting first, then (REST asked, and accepting the token) the refused upgrade
      const down = await until(async () => {
        const answer = await readyz(h.httpUrl);
        return answer.status === 503 && /refused/.test(answer.body.reason ?? "")
          ? answer
          : undefined;
      }, "/readyz to answer 503 with the refused upgrade");
      expect(down.body).toMatchObject({
        status: "not ready",
        reason:
          "websocket: not connected: the WebSocket upgrade is refused (HTTP 503) while REST works",
        checks: { store: { ok: true }, websocket: { ok: false } },
      });
      expect(
        valueOf(await scrape(h.httpUrl), "mmbot_source_state", {
          source: "websocket",
          state: "upgrade_refused",
        }),
      ).toBe(1);
      // the liveness check does not care
      expect((await fetch(routeUrls.healthz(h.httpUrl))).status).toBe(200);
    });
    await until(
      async () => ((await readyz(h.httpUrl)).status === 200 ? true : undefined),
      "/readyz to answer 200 again",
    );
    const text = await scrape(h.httpUrl);
    expect(valueOf(text, "mmbot_source_reconnects_total", { source: "websocket" })).toBe(1);
    expect(valueOf(text, "mmbot_source_state", { source: "websocket", state: "connected" })).toBe(
      1,
    );
    expect(
      valueOf(text, "mmbot_source_state", { source: "websocket", state: "reconnecting" }),
    ).toBe(0);
  });

  it("leaves the integrations' verification alone: an unsigned slash request is still refused", async () => {
    const response = await fetch(routeUrls.slash(h.httpUrl), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "token=wrong&command=%2Fpanel",
    });
    expect(response.status).toBe(401);
    expect((await fetch(`${h.httpUrl}/metrics`, { method: "POST" })).status).not.toBe(200);
  });
});
