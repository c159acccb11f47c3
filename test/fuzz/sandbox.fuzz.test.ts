/**
 * The sandbox's write routes under hostile input, over loopback HTTP: a server users run and
 * tests use must answer like the real one, a 4xx with the server's error body
 * (test/fixtures/mattermost/rest/posts-create-malformed-json.json), never a 5xx; a forged
 * session is a 401; the sandbox still works afterwards; RSS flat.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { casesFor, fuzzSeed, Rng, SHARES } from "./random.js";
import { sandboxCase, type SandboxTargets } from "./sandbox-cases.js";
import { closeClientSockets, reproduce, runPool, send, settledRssMb, Tally } from "./storm.js";

const FILE = "test/fuzz/sandbox.fuzz.test.ts";
const seed = fuzzSeed();
const cases = casesFor(SHARES.sandbox);
const WARM_UP = Math.max(1, Math.floor(cases / 4));
const CONCURRENCY = 16;

let sandbox: Sandbox;
let seeded: SeedResult;
let integration: Server;
let targets: SandboxTargets;
const errorLogs: { msg: string; err?: { stack?: string } }[] = [];

beforeAll(async () => {
  // the integration the commands, buttons and dialogs call: answers at once, remembers nothing
  integration = createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(
          req.url === "/dialog" ? "{}" : JSON.stringify({ text: "ok", response_type: "ephemeral" }),
        ),
    );
  });
  await new Promise<void>((resolve) => integration.listen(0, "127.0.0.1", resolve));
  const integrationUrl = `http://127.0.0.1:${(integration.address() as AddressInfo).port}`;
  const logger = pino(
    { level: "error" },
    { write: (line: string) => void errorLogs.push(JSON.parse(line)) },
  );
  sandbox = await Sandbox.start({ logger });
  seeded = sandbox.seed();
  const { alice, admin } = seeded.users;
  const channelId = seeded.channels.townSquare.id;
  sandbox.createCommand(admin.user.id, {
    team_id: seeded.team.id,
    trigger: "fuzz",
    url: `${integrationUrl}/cmd`,
  });
  const hook = sandbox.createIncomingWebhook(admin.user.id, { channel_id: channelId });
  const post = sandbox.post(alice.user.id, { channel_id: channelId, message: "a post to patch" });
  const buttons = sandbox.post(seeded.bot.user.id, {
    channel_id: channelId,
    message: "buttons",
    props: {
      attachments: [
        {
          text: "pick",
          actions: [
            {
              id: "fuzzbtn",
              name: "Go",
              type: "button",
              integration: { url: `${integrationUrl}/action`, context: { a: 1 } },
            },
          ],
        },
      ],
    },
  });
  targets = {
    aliceToken: alice.token,
    botToken: seeded.bot.token,
    aliceId: alice.user.id,
    botId: seeded.bot.user.id,
    teamId: seeded.team.id,
    channelId,
    postId: post.id,
    buttonPostId: buttons.id,
    incomingHookId: hook.id,
    integrationUrl,
  };
}, 30_000);

afterAll(async () => {
  closeClientSockets();
  await sandbox?.close();
  integration?.closeAllConnections();
  await new Promise((resolve) => integration?.close(resolve));
});

describe(`the sandbox's write routes under ${cases} hostile requests (${reproduce(seed, FILE)})`, () => {
  it("answers every one below 500 with the server's error body, a 401 for every forged session, and keeps working", async () => {
    const rng = new Rng(seed);
    const tally = new Tally();
    const problems: string[] = [];
    const runCase = async (i: number) => {
      const c = sandboxCase(rng, targets);
      const answer = await send(sandbox.url, c).catch((error: unknown) => ({
        status: -1,
        contentType: "",
        body: String(error),
      }));
      tally.add(c.route, c.mutation, answer.status);
      const what = `case ${i}: ${c.method} ${c.path.slice(0, 80)} (${c.mutation})`;
      if (answer.status < 100 || answer.status >= 500)
        problems.push(`${what} answered ${answer.status} ${answer.body.slice(0, 300)}`);
      // a path that names no route is a 404 before any session check, as on the server
      else if (
        c.forged &&
        answer.status !== 401 &&
        !(answer.status === 404 && answer.body.includes("api.context.404.app_error"))
      )
        problems.push(
          `${what}: a forged session answered ${answer.status} ${answer.body.slice(0, 200)}`,
        );
      else if (answer.status >= 400 && !isServerError(answer.body, answer.status))
        problems.push(
          `${what}: a ${answer.status} without the server's error body: ${answer.body.slice(0, 200)}`,
        );
    };

    const started = Date.now();
    await runPool(WARM_UP, CONCURRENCY, runCase);
    closeClientSockets();
    await sandbox.settleIntegrations();
    const before = await settledRssMb();
    const heapBefore = process.memoryUsage().heapUsed / 1048576;
    await runPool(cases - WARM_UP, CONCURRENCY, (i) => runCase(i + WARM_UP));
    closeClientSockets();
    await sandbox.settleIntegrations();
    const after = await settledRssMb();
    const heapAfter = process.memoryUsage().heapUsed / 1048576;
    const seconds = (Date.now() - started) / 1000;

    const valid = await send(sandbox.url, {
      route: "POST /api/v4/posts",
      mutation: "valid",
      method: "POST",
      path: "/api/v4/posts",
      headers: {
        authorization: `Bearer ${targets.aliceToken}`,
        "content-type": "application/json",
      },
      body: Buffer.from(
        JSON.stringify({ channel_id: targets.channelId, message: "still here after the storm" }),
      ),
    });
    console.log(
      tally.report(`sandbox (${reproduce(seed, FILE)})`, [
        `  heap ${heapBefore.toFixed(1)} MB → ${heapAfter.toFixed(1)} MB; RSS ${before.toFixed(1)} MB → ${after.toFixed(1)} MB (${(after - before).toFixed(1)} MB) around ${cases - WARM_UP} cases after ${WARM_UP} of warm-up; ${seconds.toFixed(1)} s, ${Math.round(tally.total / seconds)} cases/s`,
        `  error lines logged: ${errorLogs.length} (${[...new Set(errorLogs.map((l) => l.msg))].slice(0, 8).join(" | ")})`,
      ]),
    );

    expect(problems.slice(0, 20), reproduce(seed, FILE)).toEqual([]);
    expect(
      errorLogs.slice(0, 3).map((l) => `${l.msg}: ${l.err?.stack?.slice(0, 500) ?? ""}`),
      reproduce(seed, FILE),
    ).toEqual([]);
    expect(valid.status).toBe(201);
    expect(JSON.parse(valid.body).message).toBe("still here after the storm");
    expect(
      sandbox
        .channelPosts(targets.channelId)
        .some((p) => p.message === "still here after the storm"),
    ).toBe(true);
    expect(after - before, `RSS growth in MB (${reproduce(seed, FILE)})`).toBeLessThan(20);
  }, 600_000);
});

/** The server's error body: `{id, message, detailed_error, request_id, status_code}` with the status repeated. */
function isServerError(body: string, status: number): boolean {
  try {
    const parsed = JSON.parse(body) as { id?: unknown; message?: unknown; status_code?: unknown };
    return (
      typeof parsed.id === "string" &&
      parsed.id !== "" &&
      typeof parsed.message === "string" &&
      parsed.message !== "" &&
      parsed.status_code === status
    );
  } catch {
    return false;
  }
}
