/**
 * hubot with the hubot-matteruser adapter (both from npm, nobody here wrote them) against the
 * sandbox, as a real child process: it logs in with a password, loads the team's profiles and
 * its channels, connects its WebSocket and answers messages, logging no error.
 *
 * hubot 4.1: the adapter needs a hubot that is CommonJS with `hubot/es2015` (up to 9) and keeps
 * `envelope.message`, which its `reply` reads (dropped in 9: a TypeError on every reply). 7.0
 * works too, but brings the `standard` linter along as a dependency.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { UserProfile } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { waitUntil } from "../helpers/processes.js";

const here = dirname(fileURLToPath(import.meta.url));
const hubotBin = join(
  dirname(createRequire(import.meta.url).resolve("hubot/package.json")),
  "bin",
  "hubot.js",
);

let sandbox: Sandbox;
let seed: SeedResult;
let hubotUser: UserProfile;
let hubot: ChildProcess;
/** hubot's log: pino JSON lines ({level, msg}); a plain line counts as an error when it reads like one. */
const lines: Array<{ level: number; msg: string }> = [];
let output = "";

const logged = (text: string) => lines.some((l) => l.msg.includes(text));

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
  hubotUser = sandbox.createUser({ username: "hubot", password: "hubot-password" }).user;
  sandbox.addToTeam(seed.team.id, hubotUser.id);
  sandbox.addToChannel(seed.channels.townSquare.id, hubotUser.id);
  sandbox.addToChannel(seed.channels.ops.id, hubotUser.id);
  const online = sandbox.waitForEvent(
    (e) =>
      e.event === "status_change" && e.data.user_id === hubotUser.id && e.data.status === "online",
    { timeoutMs: 15_000 },
  );
  hubot = spawn(
    process.execPath,
    [
      hubotBin,
      "--adapter",
      "matteruser",
      "--name",
      "hubot",
      "--disable-httpd",
      "--require",
      join(here, "hubot"),
    ],
    {
      cwd: mkdtempSync(join(tmpdir(), "mmbot-hubot-")), // hubot also loads ./scripts from its working directory
      env: {
        PATH: process.env.PATH,
        HUBOT_LOG_LEVEL: "info",
        MATTERMOST_HOST: "127.0.0.1",
        MATTERMOST_HTTP_PORT: new URL(sandbox.url).port,
        MATTERMOST_USE_TLS: "false",
        MATTERMOST_GROUP: "acme",
        MATTERMOST_USER: "hubot",
        MATTERMOST_PASSWORD: "hubot-password",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const line of chunk.toString().split("\n").filter(Boolean)) {
      try {
        lines.push(JSON.parse(line) as { level: number; msg: string });
      } catch {
        lines.push({ level: /error|fail/i.test(line) ? 50 : 30, msg: line });
      }
    }
  };
  hubot.stdout!.on("data", collect);
  hubot.stderr!.on("data", collect);
  await online; // logged in and authenticated on the WebSocket
  await waitUntil(
    () => logged("subscribed channels") && logged("profiles"),
    "hubot has loaded its channels and profiles",
    10_000,
  );
}, 30_000);

afterAll(async () => {
  if (hubot && hubot.exitCode === null) {
    const exited = new Promise((resolve) => hubot.once("exit", resolve));
    hubot.kill("SIGTERM");
    await exited;
  }
  await sandbox?.close();
});

describe("hubot with hubot-matteruser against the sandbox", () => {
  it("logs in, finds its team, loads every profile of the team and its channels", () => {
    expect(logged('Logged in as user "hubot"'), output).toBe(true);
    expect(logged(`Found team: ${seed.team.id}`), output).toBe(true);
    expect(logged("Found 5 profiles."), output).toBe(true); // admin, alice, bob, hubot, todobot
    expect(logged("Found 2 subscribed channels."), output).toBe(true);
    expect(logged("Connected to Mattermost."), output).toBe(true);
  });

  it("answers a mention in the thread of the message, and a word it hears in the channel", async () => {
    const mention = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.townSquare.id,
      message: "hubot ping me",
    });
    const reply = await sandbox.waitForPost(
      (p) => p.user_id === hubotUser.id && p.root_id === mention.id,
    );
    expect(reply.message).toBe("pong from hubot");

    sandbox.post(seed.users.bob.user.id, {
      channel_id: seed.channels.ops.id,
      message: "hello hubot",
    });
    const greeting = await sandbox.waitForPost(
      (p) => p.user_id === hubotUser.id && p.channel_id === seed.channels.ops.id && p.type === "",
    );
    expect(greeting.message).toBe("hi bob");
  });

  it("answers a direct message without being named", async () => {
    const dm = sandbox.directChannel(seed.users.alice.user.id, hubotUser.id);
    sandbox.post(seed.users.alice.user.id, { channel_id: dm.id, message: "ping me" });
    const reply = await sandbox.waitForPost(
      (p) => p.user_id === hubotUser.id && p.channel_id === dm.id,
    );
    expect(reply.message).toBe("pong from hubot");
  });

  it("logged no error and no failed API call", () => {
    const errors = lines.filter(
      (l) => l.level >= 50 || /^Error:|Failed|API response: [45]/.test(l.msg),
    );
    expect(errors, output).toEqual([]);
  });
});
