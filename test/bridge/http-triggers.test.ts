import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeFromConfig as bridge, type BridgeInput } from "../../src/service/bridge-config.js";
import type { Post } from "../../src/mattermost/types.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { isRunning, readWhenWritten, waitUntil } from "../helpers/processes.js";
import {
  fixture,
  RECORDED,
  replay,
  startResponseUrlServer,
  type RecordedRequest,
} from "../http/integration-helpers.js";
import { ROUTES } from "../../src/http/routes.js";

const SLASH_TOKEN = "slashtokenslashtokenslash1";
const HOOK_TOKEN = "hooktokenhooktokenhooktok1";
const fixtures = join(import.meta.dirname, "../fixtures/bridge");
const dir = mkdtempSync(join(tmpdir(), "mmbot-bridge-http-"));
const canary = join(dir, "canary");

const bridges: BridgeInput[] = [
  {
    command: "todo",
    slash: "/todo",
    trigger_word: "todo",
    program: "node",
    args: [join(fixtures, "todo-cli.mjs")],
    allow: ["add", "list", "done", "/[\\w .,!?'-]{1,100}/"],
    env: { TODO_FILE: join(dir, "todo.json") },
  },
  {
    slash: "/args",
    trigger_word: "!args",
    program: process.execPath,
    args: [join(fixtures, "print-args.mjs")],
    allow: ["/.*/"],
    max_concurrent: 5,
  },
  {
    slash: "/slow",
    program: "/bin/sh",
    args: [join(fixtures, "spawn-and-sleep.sh")],
    env: { PID_FILE: join(dir, "slow.pid") },
    timeout_seconds: 1,
  },
  {
    slash: "/gate",
    program: "/bin/sh",
    args: [join(fixtures, "wait-for-file.sh")],
    env: { STARTED: join(dir, "gate.started"), GO: join(dir, "gate.go") },
  },
  {
    slash: "/lines",
    program: process.execPath,
    args: [
      "-e",
      "for (let i = 0; i < 1000; i++) console.log('line ' + String(i).padStart(4, '0') + ' ' + '-'.repeat(20))",
    ],
  },
  {
    slash: "/big",
    program: process.execPath,
    args: ["-e", "process.stdout.write('y'.repeat(50_000))"],
  },
  { slash: "/private", program: "/bin/echo", args: ["secret stuff"], allowed_users: ["bob"] },
  { slash: "/opsonly", program: "/bin/echo", args: ["ops things"], channels: ["ops"] },
];

describe("command bridge triggered over HTTP: slash commands and outgoing webhooks", () => {
  let h: Harness;
  let ops: string;
  let responseUrl: Awaited<ReturnType<typeof startResponseUrlServer>>;
  const slashFixture = fixture<{ post_request: RecordedRequest }>("slash-command").post_request;
  const hookFixture = fixture<{ sent_by_server: RecordedRequest }>(
    "outgoing-webhook-form",
  ).sent_by_server;

  beforeAll(async () => {
    writeFileSync(canary, "still here");
    responseUrl = await startResponseUrlServer();
    h = await startHarness({
      bot: {
        http: {
          listen: "127.0.0.1:0",
          tokens: { slash: [SLASH_TOKEN], outgoingWebhook: [HOOK_TOKEN] },
          answerWithinMs: 300,
        },
      },
      setup: (bot) => void bot.use(bridge(bridges, { killGraceMs: 200 })),
    });
    ops = h.seed.channels.ops.id;
  });
  afterAll(async () => {
    await h.close();
    await responseUrl.close();
  });

  /** Alice types `/<command> <text>` in `channel` (default ~ops); Mattermost sends the recorded request. */
  const slash = (
    command: string,
    text: string,
    channel: { id: string; name: string } = { id: ops, name: "ops" },
  ) =>
    replay(h.httpUrl, ROUTES.slash, slashFixture, {
      [RECORDED.alice]: h.seed.users.alice.user.id,
      [RECORDED.ops]: channel.id,
      [RECORDED.team]: h.seed.team.id,
      "channel_name=ops": `channel_name=${channel.name}`,
      "command=%2Fmmtodo": `command=${encodeURIComponent(command)}`,
      "text=list&": `text=${encodeURIComponent(text)}&`,
      "<token>": SLASH_TOKEN,
      [encodeURIComponent("http://127.0.0.1:8065/hooks/commands/")]: encodeURIComponent(
        responseUrl.url,
      ),
    });

  /** The bot's post in the channel (no thread) that starts with `prefix`. */
  const channelPost = (prefix: string, channelId = ops): Promise<Post> =>
    h.sandbox.waitForPost(
      (p) =>
        p.user_id === h.seed.bot.user.id &&
        p.channel_id === channelId &&
        p.root_id === "" &&
        p.message.startsWith(prefix),
    );

  it("acknowledges a slash command for the user at once and posts the program's output in the channel", async () => {
    const answer = await slash("/todo", "add ship the release");
    expect(answer).toMatchObject({
      status: 200,
      body: {
        response_type: "ephemeral",
        text: "Running `/todo add ship the release`; the output will be posted in this channel.",
      },
    });
    const result = await channelPost("@alice ran `/todo add ship the release`");
    expect(result.message).toBe(
      "@alice ran `/todo add ship the release`:\n\n```\nadded #1: ship the release\n```",
    );
  });

  it("refuses `; rm -rf /` through a slash command, for the user only, without running anything", async () => {
    const before = h.sandbox.channelPosts(ops).length;
    const answer = await slash("/todo", "; rm -rf /");
    expect(answer).toMatchObject({
      status: 200,
      body: {
        response_type: "ephemeral",
        text: "`todo` did not run: argument 1, `;`, is not allowed: the first argument must be one of: add, list, done.",
      },
    });
    expect(existsSync(canary)).toBe(true);
    // nothing was posted for it; the next run shows the list unchanged
    await slash("/todo", "list");
    const list = await channelPost("@alice ran `/todo list`");
    expect(list.message).toBe("@alice ran `/todo list`:\n\n```\n#1 [ ] ship the release\n```");
    expect(
      h.sandbox
        .channelPosts(ops)
        .slice(before)
        .map((p) => p.message),
    ).toEqual([list.message]);
  });

  it("passes shell metacharacters as plain arguments, where the allow list lets them through", async () => {
    const text = `; rm -rf ${canary} $(touch ${dir}/a) | tee ${dir}/b`;
    await slash("/args", text);
    const result = await channelPost("@alice ran `/args ;");
    const printed = JSON.parse(
      /```\n([\s\S]*)\n```$/.exec(result.message)?.[1] ?? "null",
    ) as string[];
    expect(printed).toEqual(text.split(" "));
    expect(existsSync(canary)).toBe(true);
    expect(existsSync(join(dir, "a"))).toBe(false);
    expect(existsSync(join(dir, "b"))).toBe(false);
  });

  it("stops a slash-command run past its timeout, with every process it started, and says so in the channel", async () => {
    const answer = await slash("/slow", "");
    expect(answer.body).toEqual({
      response_type: "ephemeral",
      text: "Running `/slow`; the output will be posted in this channel.",
    });
    const grandchild = Number(await readWhenWritten(join(dir, "slow.pid")));
    const result = await channelPost("@alice ran `/slow`");
    expect(result.message).toBe(
      `@alice ran \`/slow\`:\n\n\`slow\` took longer than 1 s and was stopped, with every process it started.\n\noutput:\n\`\`\`\nstarted ${grandchild}\n\`\`\``,
    );
    await waitUntil(() => !isRunning(grandchild), `the grandchild ${grandchild} is gone`);
  });

  it("answers 'busy' to a second slash run, for the user only", async () => {
    expect((await slash("/gate", "")).body).toMatchObject({
      text: "Running `/gate`; the output will be posted in this channel.",
    });
    await waitUntil(() => existsSync(join(dir, "gate.started")), "the first run has started");
    expect((await slash("/gate", "")).body).toEqual({
      response_type: "ephemeral",
      text: "`gate` is busy (one run at a time); try again when the current run has finished.",
    });
    writeFileSync(join(dir, "gate.go"), "");
    expect((await channelPost("@alice ran `/gate`")).message).toBe(
      "@alice ran `/gate`:\n\n```\nreleased\n```",
    );
  });

  it("refuses, for the user only, a user outside the bridge's allowed_users and a channel outside its channels", async () => {
    expect((await slash("/private", "")).body).toEqual({
      response_type: "ephemeral",
      text: "Sorry, you are not allowed to run `private`. Ask an admin to add you to its allowed_users in mmbot.toml.",
    });
    const town = h.seed.channels.townSquare;
    expect((await slash("/opsonly", "", { id: town.id, name: town.name })).body).toEqual({
      response_type: "ephemeral",
      text: "`opsonly` cannot be used in this channel; it is limited to: ops.",
    });
    expect(h.sandbox.channelPosts(town.id).some((p) => p.message.includes("ops things"))).toBe(
      false,
    );
  });

  it("splits long slash output across channel posts and attaches output beyond inline_max_bytes", async () => {
    await slash("/lines", "");
    const last = await h.sandbox.waitForPost(
      (p) =>
        p.user_id === h.seed.bot.user.id && p.channel_id === ops && p.message.includes("line 0999"),
    );
    expect(last.message.startsWith("```\nline ")).toBe(true); // a continuation post opens its code block again
    const parts = h.sandbox
      .channelPosts(ops)
      .filter((p) => p.user_id === h.seed.bot.user.id && /line \d{4}/.test(p.message));
    expect(parts.length).toBeGreaterThan(1);
    expect(parts[0]!.message.startsWith("@alice ran `/lines`:\n\n```\nline 0000")).toBe(true);
    expect(
      parts.flatMap((p) => p.message.split("\n").filter((l) => l.startsWith("line "))),
    ).toHaveLength(1000);

    await slash("/big", "");
    const big = await channelPost("@alice ran `/big`");
    expect(big.message).toBe("@alice ran `/big`:\n\n48.8 KiB attached as `big-output.txt`.");
    expect(big.file_ids).toHaveLength(1);
    const file = await fetch(`${h.sandbox.url}/api/v4/files/${big.file_ids![0]}`, {
      headers: { Authorization: `Bearer ${h.seed.users.alice.token}` },
    });
    expect(await file.text()).toBe("y".repeat(50_000));
  });

  it("gives the result to the user alone through response_url when the bot may not post in the channel", async () => {
    const secret = h.sandbox.createChannel({ team_id: h.seed.team.id, name: "secret", type: "P" });
    h.sandbox.addToChannel(secret.id, h.seed.users.alice.user.id);
    expect((await slash("/args", "hello", { id: secret.id, name: "secret" })).body).toMatchObject({
      text: "Running `/args hello`; the output will be posted in this channel.",
    });
    const later = (await responseUrl.next()) as { response_type: string; text: string };
    expect(later.response_type).toBe("ephemeral");
    expect(later.text).toMatch(
      /^I could not post the result in this channel \(the server said: You do not have the appropriate permissions\.\); add me with `\/invite @todobot`\. The result, for you only:\n\n```\n\[\n "hello"\n\]\n```$/,
    );
    expect(
      h.sandbox.channelPosts(secret.id).filter((p) => p.user_id === h.seed.bot.user.id),
    ).toHaveLength(0);
  });

  it("runs a bridge for an outgoing webhook's trigger word and answers in the post's thread", async () => {
    const root = await h.withoutWebSocket(async () => {
      const root = h.say("alice", ops, "todo add from the webhook");
      const answer = await replay(h.httpUrl, ROUTES.outgoingWebhook, hookFixture, {
        [RECORDED.alice]: h.seed.users.alice.user.id,
        [RECORDED.ops]: ops,
        [RECORDED.team]: h.seed.team.id,
        rch34sqc5inepeiwpi9qkucabe: root.id,
        "text=mmtodo+add+buy+milk": "text=todo+add+from+the+webhook",
        "trigger_word=mmtodo": "trigger_word=todo",
        "<token>": HOOK_TOKEN,
      });
      expect(answer.status).toBe(200);
      return root;
    });
    const reply = await h.replyTo(root);
    expect(reply.message).toMatch(/^```\nadded #\d+: from the webhook\n```$/);
  });

  it("runs a bridge for a trigger word arriving over the WebSocket too, and refuses a bad argument in the thread", async () => {
    const { message } = await h.replyTo(h.say("alice", ops, "!args one 'two words'"));
    expect(message).toBe('```\n[\n "one",\n "two words"\n]\n```');
    // the trigger word's bridge takes the post, even when the next word is another bridge's command
    expect((await h.replyTo(h.say("alice", ops, "!args todo list"))).message).toBe(
      '```\n[\n "todo",\n "list"\n]\n```',
    );
    const refused = await h.replyTo(h.say("alice", ops, "todo rm 1"));
    expect(refused.message).toBe(
      "`todo` did not run: argument 1, `rm`, is not allowed: the first argument must be one of: add, list, done.",
    );
  });
});
