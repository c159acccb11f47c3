// `mmbot start` (a real child process) against a sandbox of the test's own: /metrics and /readyz
// on metrics.listen when there is no [http] section, and on http.listen when there is.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { CLI, runCli, until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";
import { readyz, scrape, valueOf } from "../metrics/metrics-text.js";

let sandbox: Sandbox;
let seed: SeedResult;
const running = new Set<ChildProcess>();

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
});
afterEach(async () => {
  for (const child of running) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
});
afterAll(() => sandbox.close());

/** `mmbot start` against the test's sandbox, with `env` on top; resolves once the bot says it is connected. */
async function start(env: Record<string, string>): Promise<{ stderr: () => string }> {
  const cwd = mkdtempSync(join(tmpdir(), "mmbot-metrics-"));
  const child = spawn(process.execPath, [CLI, "start"], {
    cwd,
    env: {
      PATH: process.env.PATH,
      MMBOT_LOG_LEVEL: "warn",
      MATTERMOST_URL: sandbox.url,
      MATTERMOST_BOT_TOKEN: seed.bot.token,
      MMBOT_POLICY_ALLOWED_USERS: "*",
      ...env,
    },
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  await until(
    () => (stdout.includes("@todobot connected to") ? true : undefined),
    `the connected line (stderr: ${stderr})`,
  );
  return { stderr: () => stderr };
}

describe("mmbot start serves /metrics and /readyz", () => {
  it("on metrics.listen without [http]: counts a conversation, and /readyz follows the WebSocket", async () => {
    const port = await freePort();
    await start({ MMBOT_METRICS_LISTEN: `127.0.0.1:${port}`, MATTERMOST_TRANSPORT: "websocket" }); // no polling to take over
    const url = `http://127.0.0.1:${port}`;
    expect((await readyz(url)).status).toBe(200);

    const alice = seed.users.alice.user.id;
    const post = sandbox.post(alice, {
      channel_id: seed.channels.townSquare.id,
      message: "@todobot add buy milk",
    });
    const reply = await sandbox.waitForPost(
      (p) => p.user_id === seed.bot.user.id && p.root_id === post.id,
    );
    expect(reply.message).toBe("Added #1: buy milk");
    const text = await until(async () => {
      const t = await scrape(url);
      return valueOf(t, "mmbot_events_handled_total", { kind: "message", outcome: "ok" }) === 1
        ? t
        : undefined;
    }, "the message counted as handled");
    expect(valueOf(text, "mmbot_outbox_posts_total", { outcome: "sent" })).toBe(1);
    expect(
      valueOf(text, "mmbot_events_received_total", { kind: "message", source: "websocket" }),
    ).toBeGreaterThanOrEqual(1);
    expect(valueOf(text, "mmbot_outbox_pending")).toBe(0);
    expect(valueOf(text, "mmbot_source_state", { source: "websocket", state: "connected" })).toBe(
      1,
    );
    expect(valueOf(text, "mmbot_process_start_time_seconds")).toBeGreaterThan(0);

    sandbox.setWebSocketAvailable(false);
    try {
      sandbox.dropConnections(seed.bot.user.id);
      // reconnecting first, then (REST asked) the refused upgrade
      const down = await until(async () => {
        const answer = await readyz(url);
        return answer.status === 503 && /refused/.test(answer.body.reason ?? "")
          ? answer
          : undefined;
      }, "/readyz to answer 503 with the refused upgrade");
      expect(down.body.reason).toBe(
        "websocket: not connected: the WebSocket upgrade is refused (HTTP 503) while REST works",
      );
    } finally {
      sandbox.setWebSocketAvailable(true);
    }
    await until(
      async () => ((await readyz(url)).status === 200 ? true : undefined),
      "/readyz to answer 200 again",
      15_000,
    );
    expect(
      valueOf(await scrape(url), "mmbot_source_reconnects_total", { source: "websocket" }),
    ).toBe(1);
  });

  it("with the default transport (auto), /readyz stays ready while polling stands in for a refused WebSocket", async () => {
    const port = await freePort();
    await start({
      MMBOT_METRICS_LISTEN: `127.0.0.1:${port}`,
      MATTERMOST_POLLING_INTERVAL_MS: "300",
    });
    const url = `http://127.0.0.1:${port}`;
    expect(await readyz(url)).toMatchObject({
      status: 200,
      body: { checks: { auto: { ok: true } } },
    });
    sandbox.setWebSocketAvailable(false);
    try {
      sandbox.dropConnections(seed.bot.user.id);
      const post = sandbox.post(seed.users.alice.user.id, {
        channel_id: seed.channels.townSquare.id,
        message: "@todobot add by polling",
      });
      // answered through polling, and ready all along once polling has taken over
      expect(
        (
          await sandbox.waitForPost(
            (p) => p.user_id === seed.bot.user.id && p.root_id === post.id,
            { timeoutMs: 15_000 },
          )
        ).message,
      ).toMatch(/by polling/);
      expect(await readyz(url)).toMatchObject({
        status: 200,
        body: { checks: { auto: { ok: true } } },
      });
    } finally {
      sandbox.setWebSocketAvailable(true);
    }
  });

  it("on http.listen beside the integrations and /healthz when there is an [http] section", async () => {
    const port = await freePort();
    await start({ MMBOT_HTTP_LISTEN: `127.0.0.1:${port}` });
    const url = `http://127.0.0.1:${port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await readyz(url)).toMatchObject({ status: 200, body: { status: "ready" } });
    expect(await scrape(url)).toContain("# TYPE mmbot_events_received_total counter");
  });

  it("only on metrics.listen when both are set, keeping them off the public listener", async () => {
    const [httpPort, metricsPort] = [await freePort(), await freePort()];
    await start({
      MMBOT_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
      MMBOT_METRICS_LISTEN: `127.0.0.1:${metricsPort}`,
    });
    expect((await fetch(`http://127.0.0.1:${httpPort}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status).toBe(404);
    expect((await readyz(`http://127.0.0.1:${metricsPort}`)).status).toBe(200);
  });

  it("refuses a metrics.listen that is not host:port, naming the key", async () => {
    const run = await runCli(["start"], {
      cwd: mkdtempSync(join(tmpdir(), "mmbot-metrics-")),
      env: {
        MATTERMOST_URL: sandbox.url,
        MATTERMOST_BOT_TOKEN: seed.bot.token,
        MMBOT_METRICS_LISTEN: "9464",
      },
    });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(
      'environment variable MMBOT_METRICS_LISTEN: metrics.listen = "9464": expected host:port',
    );
  });
});
