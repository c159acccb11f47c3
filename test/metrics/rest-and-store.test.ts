/**
 * What the metrics say of the REST client's retries and 429s (against a scripted server over real
 * HTTP: the sandbox never rate-limits), and what `/readyz` says of a store that stopped answering
 * or of a bot not started, on a listener of its own.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Bot } from "../../src/bot/bot.js";
import { silentLogger } from "../../src/log.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { BotMetrics } from "../../src/metrics/bot-metrics.js";
import { MetricsListener } from "../../src/metrics/listener.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { WebSocketSource } from "../../src/sources/websocket.js";
import { openStore } from "../../src/store/index.js";
import {
  json,
  startScriptedServer,
  text,
  type ScriptedServer,
} from "../mattermost/scripted-server.js";
import { readyz, valueOf } from "./metrics-text.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("REST metrics", () => {
  it("count every try by status, the retries, and the 429s", async () => {
    const server: ScriptedServer = await startScriptedServer();
    cleanups.push(async () => server.close());
    const metrics = new BotMetrics({ processMetrics: false });
    const client = new MattermostClient({
      url: server.url,
      token: "tok",
      retry: { baseDelayMs: 5, maxDelayMs: 20 },
      observer: metrics.rest,
    });
    server.script(
      text(429, "limit exceeded", { "Retry-After": "0" }),
      json(503, { id: "x", message: "down" }),
      json(200, { id: "p1" }),
    );
    await client.getPost("p1");
    const scraped = await metrics.text();
    expect(valueOf(scraped, "mmbot_rest_requests_total", { method: "GET", status: "429" })).toBe(1);
    expect(valueOf(scraped, "mmbot_rest_requests_total", { method: "GET", status: "503" })).toBe(1);
    expect(valueOf(scraped, "mmbot_rest_requests_total", { method: "GET", status: "200" })).toBe(1);
    expect(valueOf(scraped, "mmbot_rest_retries_total", { method: "GET", status: "429" })).toBe(1);
    expect(valueOf(scraped, "mmbot_rest_retries_total", { method: "GET", status: "503" })).toBe(1);
    expect(valueOf(scraped, "mmbot_rest_rate_limited_total")).toBe(1);
    expect(scraped).not.toContain("process_"); // processMetrics: false
  });
});

describe("/readyz on a listener of its own", () => {
  it("says the bot is not started before it is, and names the store when it stops answering", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    const seed = sandbox.seed();
    const store = await openStore(
      `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-ready-")), "bot.db")}`,
    );
    const metrics = new BotMetrics({ processMetrics: false });
    const listener = new MetricsListener({ listen: "127.0.0.1:0", metrics });
    await listener.start({ logger: silentLogger() });
    cleanups.push(() => listener.stop());
    const url = `http://${listener.address}`;
    expect(await readyz(url)).toEqual({
      status: 503,
      body: {
        status: "not ready",
        reason: "bot: the bot is not started",
        checks: { bot: { ok: false, reason: "the bot is not started" } },
      },
    });

    const bot = new Bot({
      url: sandbox.url,
      token: seed.bot.token,
      store,
      observer: metrics,
      policy: { allowedUsers: "*" },
    });
    await bot.start(new WebSocketSource());
    cleanups.push(() => bot.stop());
    expect((await readyz(url)).status).toBe(200);
    await store.close();
    const down = await readyz(url);
    expect(down.status).toBe(503);
    expect(down.body.reason).toMatch(/^store: the store does not answer: /);
    expect(down.body.checks.websocket).toEqual({ ok: true });
    // the outbox's depth is unknown, not 0, when the store does not answer
    expect(valueOf(await (await fetch(`${url}/metrics`)).text(), "mmbot_outbox_pending")).toBeNaN();
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });
});
