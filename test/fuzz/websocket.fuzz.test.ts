/**
 * The WebSocket client under hostile frames from a scripted server (REST goes through to a
 * sandbox): first the bare receiver, then a whole bot. After every burst of garbage a real post
 * arrives as a valid `posted`: the receiver must deliver it once, and the bot must answer it in
 * its thread. Nothing thrown where it should not be, nothing lost, RSS flat.
 */
import { mkdtempSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket } from "ws";
import { todo } from "../../src/apps/todo/index.js";
import { Bot } from "../../src/bot/bot.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import type { Post } from "../../src/mattermost/types.js";
import { WebSocketReceiver } from "../../src/mattermost/websocket.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { WebSocketSource } from "../../src/sources/websocket.js";
import { casesFor, fuzzSeed, Rng, SHARES } from "./random.js";
import { reproduce, settledRssMb, Tally } from "./storm.js";
import { hostileFrame } from "./websocket-frames.js";

const FILE = "test/fuzz/websocket.fuzz.test.ts";
const seed = fuzzSeed();
const frames = casesFor(SHARES.websocket);
const ROUND = 25;
const TIMINGS = { pingIntervalMs: 1_000, backoff: { initialMs: 20, maxMs: 200 } };

interface LogLine {
  level: number;
  msg: string;
  err?: { stack?: string };
}

/** A WebSocket server that sends what the test says, with REST passed through to the sandbox. */
class ScriptedServer {
  readonly sockets: WebSocket[] = [];
  /** The highest valid seq sent on each socket (its hello's is 0): per connection, as a server keeps it, whichever storm sent it. */
  private readonly seqs = new WeakMap<WebSocket, number>();
  private waiters: (() => void)[] = [];
  private connections = 0;
  private constructor(
    readonly http: Server,
    readonly url: string,
  ) {}

  static async start(restUrl: string): Promise<ScriptedServer> {
    const target = new URL(restUrl);
    const wss = new WebSocketServer({ noServer: true });
    const http = createServer((req, res) => {
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (answer: IncomingMessage) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on("error", () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const server = new ScriptedServer(
      http,
      `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    );
    http.on("upgrade", (req, socket, head) => {
      socket.on("error", () => {});
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on("error", () => {});
        ws.send(
          JSON.stringify({
            event: "hello",
            data: { connection_id: `fuzzconn${++server.connections}`, server_version: "5.37.0" },
            broadcast: { omit_users: null, user_id: "", channel_id: "", team_id: "" },
            seq: 0,
          }),
        );
        server.seqs.set(ws, 0);
        server.sockets.push(ws);
        for (const wake of server.waiters.splice(0)) wake();
      });
    });
    return server;
  }

  /** The newest open socket, once there is one (after a drop, the client's reconnect). */
  async open(): Promise<WebSocket> {
    for (;;) {
      const ws = this.sockets.findLast((s) => s.readyState === s.OPEN);
      if (ws) return ws;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no reconnect within 10 s")), 10_000);
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** The seq of the last valid frame sent on `ws`. */
  lastSeq(ws: WebSocket): number {
    return this.seqs.get(ws) ?? 0;
  }

  /** Records that a frame with `seq` went out on `ws`. */
  sent(ws: WebSocket, seq: number): void {
    this.seqs.set(ws, Math.max(this.lastSeq(ws), seq));
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
  }
}

let sandbox: Sandbox;
let seeded: SeedResult;
let scripted: ScriptedServer;
const errorLogs: LogLine[] = [];
const processFailures: unknown[] = [];
const onProcessFailure = (error: unknown) => processFailures.push(error);
const logger = pino(
  { level: "error" },
  { write: (line: string) => void errorLogs.push(JSON.parse(line) as LogLine) },
);

beforeAll(async () => {
  process.on("unhandledRejection", onProcessFailure);
  process.on("uncaughtException", onProcessFailure);
  sandbox = await Sandbox.start();
  seeded = sandbox.seed();
  scripted = await ScriptedServer.start(sandbox.url);
}, 30_000);

afterAll(async () => {
  await scripted?.close();
  await sandbox?.close();
  process.off("unhandledRejection", onProcessFailure);
  process.off("uncaughtException", onProcessFailure);
});

/** `count` hostile frames in rounds; after each round that left the socket open, a real post as a valid `posted`, then `delivered(post)`. */
async function storm(
  rng: Rng,
  tally: Tally,
  count: number,
  delivered: (post: Post) => Promise<void>,
): Promise<number> {
  let sent = 0;
  let valid = 0;
  while (sent < count) {
    // the seq goes on from the last frame on this connection, also one a previous storm sent:
    // a seq at or below it is a replay the client rightly ignores (the post would never arrive)
    const ws = await scripted.open();
    const base = sandbox.post(seeded.users.alice.user.id, {
      channel_id: seeded.channels.ops.id,
      message: `@todobot add fuzzed ${sent}`,
    });
    let ended = false;
    for (let i = 0; i < ROUND && sent < count && !ended; i++, sent++) {
      const frame = hostileFrame(
        rng,
        base as unknown as Record<string, unknown>,
        scripted.lastSeq(ws) + 1,
      );
      frame.send(ws);
      tally.add("websocket frames", frame.kind, frame.ends ? "closed" : "sent");
      if (frame.seq !== undefined) scripted.sent(ws, frame.seq);
      ended = frame.ends === true;
    }
    if (ended) {
      // the client must drop the broken connection at once (then it reconnects)
      if (ws.readyState !== ws.CLOSED)
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () =>
              reject(
                new Error(
                  `the client kept a broken connection open for 10 s (${reproduce(seed, FILE)})`,
                ),
              ),
            10_000,
          );
          ws.once("close", () => (clearTimeout(timer), resolve()));
        });
      continue;
    }
    const post = sandbox.post(seeded.users.alice.user.id, {
      channel_id: seeded.channels.ops.id,
      message: `@todobot add valid after round ${sent}`,
    });
    const data = {
      post: JSON.stringify(post),
      channel_type: "O",
      channel_name: "ops",
      sender_name: "@alice",
      mentions: JSON.stringify([seeded.bot.user.id]),
    };
    const seq = scripted.lastSeq(ws) + 1;
    ws.send(
      JSON.stringify({
        event: "posted",
        data,
        broadcast: { omit_users: null, user_id: "", channel_id: post.channel_id, team_id: "" },
        seq,
      }),
    );
    scripted.sent(ws, seq);
    await delivered(post);
    valid++;
  }
  return valid;
}

describe(`the WebSocket client under ${frames} hostile frames (${reproduce(seed, FILE)})`, () => {
  it("delivers every valid post after the garbage, once, and the bot answers each; nothing thrown, RSS flat", async () => {
    const rng = new Rng(seed);
    const tally = new Tally();
    const started = Date.now();

    // the bare receiver: no catch-up, so a valid post arrives only by its frame
    const events = new Map<string, number>();
    const receiver = new WebSocketReceiver({
      url: scripted.url,
      token: seeded.bot.token,
      client: new MattermostClient({ url: scripted.url, token: seeded.bot.token }),
      logger,
      onEvent: (e) => {
        if (e.event === "posted" && typeof e.post?.id === "string")
          events.set(e.post.id, (events.get(e.post.id) ?? 0) + 1);
      },
      ...TIMINGS,
    });
    await receiver.start();
    const deliveredOnce: string[] = [];
    const receiverPhase = async (count: number) =>
      storm(rng, tally, count, async (post) => {
        const deadline = Date.now() + 10_000;
        while (!events.has(post.id) && Date.now() < deadline)
          await new Promise((r) => setTimeout(r, 5));
        if (!events.has(post.id))
          throw new Error(`the receiver never delivered ${post.id} (${reproduce(seed, FILE)})`);
        deliveredOnce.push(post.id);
      });
    const validA = await receiverPhase(Math.floor(frames / 2));
    await receiver.stop();
    for (const ws of scripted.sockets) ws.terminate();

    // the whole bot: the same garbage through the pipeline; every valid post is answered in its thread
    const bot = new Bot({
      url: scripted.url,
      token: seeded.bot.token,
      store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-fuzz-ws-")), "bot.db")}`,
      policy: { allowedUsers: "*" },
      logger,
    });
    bot.use(todo());
    await bot.start(new WebSocketSource(TIMINGS));
    const botPhase = (count: number) =>
      storm(rng, tally, count, async (post) => {
        await sandbox
          .waitForPost((p) => p.root_id === post.id && p.user_id === seeded.bot.user.id, {
            timeoutMs: 10_000,
          })
          .catch((error: unknown) => {
            throw new Error(`the bot never answered ${post.id} (${reproduce(seed, FILE)})`, {
              cause: error,
            });
          });
      });
    // memory is measured around the bot's storm, after a warm-up of a quarter of it
    const botFrames = frames - Math.floor(frames / 2);
    let validB = 0;
    let before = 0;
    let after = 0;
    try {
      validB = await botPhase(Math.floor(botFrames / 4));
      before = await settledRssMb();
      validB += await botPhase(botFrames - Math.floor(botFrames / 4));
      after = await settledRssMb();
    } finally {
      await bot.stop();
    }
    const seconds = (Date.now() - started) / 1000;
    const unforeseen = errorLogs.filter((l) =>
      /lost|threw|unexpected|could not be handled/.test(l.msg),
    );
    console.log(
      tally.report(`websocket (${reproduce(seed, FILE)})`, [
        `  valid posts after the garbage: ${validA} to the receiver (each delivered ${[...new Set(deliveredOnce.map((id) => events.get(id)))].join("/")} time), ${validB} answered by the bot`,
        `  RSS ${before.toFixed(1)} MB → ${after.toFixed(1)} MB (${(after - before).toFixed(1)} MB); ${seconds.toFixed(1)} s`,
        `  error lines logged: ${errorLogs.length} (${[...new Set(errorLogs.map((l) => l.msg))].slice(0, 8).join(" | ")})`,
      ]),
    );

    expect(deliveredOnce.filter((id) => events.get(id) !== 1)).toEqual([]);
    expect(validA).toBeGreaterThan(0);
    expect(validB).toBeGreaterThan(0);
    expect(
      unforeseen.slice(0, 3).map((l) => `${l.msg}: ${l.err?.stack?.slice(0, 600) ?? ""}`),
      reproduce(seed, FILE),
    ).toEqual([]);
    expect(processFailures.map(String)).toEqual([]);
    expect(after - before, `RSS growth in MB (${reproduce(seed, FILE)})`).toBeLessThan(20);
  }, 600_000);
});
