import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bridgeFromConfig as bridge, type BridgeInput } from "../../src/service/bridge-config.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { isRunning, readWhenWritten, waitUntil } from "../helpers/processes.js";

const fixtures = join(import.meta.dirname, "../fixtures/bridge");
const dir = mkdtempSync(join(tmpdir(), "mmbot-bridge-e2e-"));
const vanishing = join(dir, "vanishing.sh"); // deleted after the start: "program not found" at run time
copyFileSync(join(fixtures, "print-args.mjs"), vanishing);

const bridges: BridgeInput[] = [
  {
    command: "todo",
    program: "node", // looked up on PATH
    args: [join(fixtures, "todo-cli.mjs")],
    allow: ["add", "list", "done", "/[\\w .,!?'-]{1,100}/"],
    env: { TODO_FILE: join(dir, "todo.json") },
  },
  {
    command: "args",
    program: process.execPath,
    args: [join(fixtures, "print-args.mjs")],
    allow: ["/.*/"],
    cwd: dir,
    max_concurrent: 5,
  },
  { command: "env", program: "env", env: { GREETING: "hello" } },
  {
    command: "big",
    program: process.execPath,
    args: ["-e", "process.stdout.write('x'.repeat(100_000))"],
  },
  {
    command: "lines",
    program: process.execPath,
    args: [
      "-e",
      "for (let i = 0; i < 1000; i++) console.log('line ' + String(i).padStart(4, '0') + ' ' + '-'.repeat(20))",
    ],
  },
  {
    command: "slow",
    program: "/bin/sh",
    args: [join(fixtures, "spawn-and-sleep.sh")],
    env: { PID_FILE: join(dir, "slow.pid") },
    timeout_seconds: 1,
  },
  {
    command: "gate",
    program: "/bin/sh",
    args: [join(fixtures, "wait-for-file.sh")],
    env: { STARTED: join(dir, "gate.started"), GO: join(dir, "gate.go") },
  },
  { command: "gone", program: vanishing },
  {
    command: "whoami",
    name: "private",
    program: "/bin/echo",
    args: ["secret stuff"],
    allowed_users: ["bob"],
  },
  { command: "opsonly", program: "/bin/echo", args: ["ops things"], channels: ["ops"] },
];

describe("command bridge end to end: real programs, the sandbox, the bot", () => {
  let h: Harness;
  let ops: string;
  let town: string;
  beforeAll(async () => {
    h = await startHarness({ setup: (bot) => void bot.use(bridge(bridges, { killGraceMs: 200 })) });
    // ephemeral answers over REST need the System Admin role (create_post_ephemeral)
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin");
    ops = h.seed.channels.ops.id;
    town = h.seed.channels.townSquare.id;
    rmSync(vanishing);
  });
  afterAll(() => h.close());

  const ask = async (text: string, channelId = ops, user: "alice" | "bob" = "alice") => {
    const post = h.say(user, channelId, text);
    return { post, reply: await h.replyTo(post) };
  };

  it("runs a real todo CLI and answers in the thread with its output in a code block", async () => {
    const { post, reply } = await ask("@todobot todo add buy milk");
    expect(reply.root_id).toBe(post.id);
    expect(reply.message).toBe("```\nadded #1: buy milk\n```");
    await ask(`@todobot todo add "call the plumber"`);
    await ask("@todobot todo done 1");
    expect((await ask("@todobot todo list")).reply.message).toBe(
      "```\n#1 [x] buy milk\n#2 [ ] call the plumber\n```",
    );
  });

  it("reports a non-zero exit with the exit code and stderr", async () => {
    const { reply } = await ask("@todobot todo done 9");
    expect(reply.message).toBe(
      "`todo` failed with exit code 1.\n\nstderr:\n```\ntodo: no item #9\n```",
    );
  });

  it("refuses an argument the allow list does not accept, and does not run the program", async () => {
    const marker = join(dir, "refused");
    const sub = await ask("@todobot todo rm 1");
    expect(sub.reply.message).toBe(
      "`todo` did not run: argument 1, `rm`, is not allowed: the first argument must be one of: add, list, done.",
    );
    const subst = await ask(`@todobot todo add $(touch ${marker})`);
    expect(subst.reply.message).toBe(
      "`todo` did not run: argument 2, `$(touch`, is not allowed: it must match /[\\w .,!?'-]{1,100}/.",
    );
    const quote = await ask(`@todobot todo add "unclosed`);
    expect(quote.reply.message).toBe(
      '`todo` did not run: a quote is not closed: add the closing ".',
    );
    expect(existsSync(marker)).toBe(false);
    expect((await ask("@todobot todo list")).reply.message).not.toMatch(/touch|unclosed/);
  });

  it("passes shell metacharacters to the program as plain text: nothing is executed", async () => {
    const canary = join(dir, "canary");
    writeFileSync(canary, "still here");
    const text = `; rm -rf ${canary} $(touch ${dir}/a) \`touch ${dir}/b\` | tee ${dir}/c > ${dir}/d && touch ${dir}/e`;
    const { reply } = await ask(`@todobot args ${text}`);
    const printed = JSON.parse(
      /^```\n([\s\S]*)\n```$/.exec(reply.message)?.[1] ?? "null",
    ) as string[];
    expect(printed).toEqual(text.split(" "));
    expect(existsSync(canary)).toBe(true);
    for (const name of ["a", "b", "c", "d", "e"]) expect(existsSync(join(dir, name))).toBe(false);
  });

  it("gives the program a minimal environment, and the post's once key", async () => {
    const { post, reply } = await ask("@todobot env");
    const lines = reply.message.split("\n").filter((line) => line.includes("="));
    expect(lines.map((line) => line.split("=")[0]).sort()).toEqual([
      "GREETING",
      "HOME",
      "LANG",
      "MMBOT_ONCE_KEY",
      "PATH",
    ]);
    expect(lines).toContain(`MMBOT_ONCE_KEY=post:${post.id}#bridge`);
  });

  it("splits long output across posts with the code block closed and reopened", async () => {
    const post = h.say("alice", ops, "@todobot lines");
    await h.sandbox.waitForPost((p) => p.root_id === post.id && p.message.includes("line 0999"));
    const parts = h.botPostsInThread(post).map((p) => p.message);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.startsWith("```\n")).toBe(true);
      expect(part.endsWith("\n```")).toBe(true);
    }
    const lines = parts.flatMap((part) => part.split("\n").filter((l) => l.startsWith("line ")));
    expect(lines).toHaveLength(1000);
    expect(lines[999]).toMatch(/^line 0999 /);
  });

  it("attaches output beyond inline_max_bytes as a file", async () => {
    const { reply } = await ask("@todobot big");
    expect(reply.message).toBe("97.7 KiB attached as `big-output.txt`.");
    expect(reply.file_ids).toHaveLength(1);
    const response = await fetch(`${h.sandbox.url}/api/v4/files/${reply.file_ids![0]}`, {
      headers: { Authorization: `Bearer ${h.seed.users.alice.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(/big-output\.txt/);
    expect(await response.text()).toBe("x".repeat(100_000));
  });

  it("stops a program past its timeout, with every process it started", async () => {
    const { reply } = await ask("@todobot slow");
    const grandchild = Number(await readWhenWritten(join(dir, "slow.pid")));
    expect(reply.message).toBe(
      `\`slow\` took longer than 1 s and was stopped, with every process it started.\n\noutput:\n\`\`\`\nstarted ${grandchild}\n\`\`\``,
    );
    await waitUntil(() => !isRunning(grandchild), `the grandchild ${grandchild} is gone`);
  });

  it("reports a program that has disappeared since the start", async () => {
    const { reply } = await ask("@todobot gone");
    expect(reply.message).toBe(
      `\`gone\` did not run: the program \`${vanishing}\` was not found. An admin should check this bridge's \`program\` in mmbot.toml.`,
    );
  });

  it("shows typing while it runs, and answers 'busy' beyond max_concurrent", async () => {
    const botId = h.seed.bot.user.id;
    const typing = h.sandbox.waitForEvent(
      (e) => e.event === "typing" && e.data.user_id === botId && e.broadcast.channel_id === ops,
    );
    const first = h.say("alice", ops, "@todobot gate");
    await waitUntil(() => existsSync(join(dir, "gate.started")), "the first run has started");
    await typing;
    // another channel: posts of one channel are handled one after another anyway
    const second = await ask("@todobot gate", town, "bob");
    expect(second.reply.message).toBe(
      "`gate` is busy (one run at a time); try again when the current run has finished.",
    );
    writeFileSync(join(dir, "gate.go"), "");
    expect((await h.replyTo(first)).message).toBe("```\nreleased\n```");
  });

  it("answers only the users in its allowed_users, on top of the global policy", async () => {
    const refused = h.say("alice", ops, "@todobot whoami");
    const alice = h.seed.users.alice.user.id;
    const ephemeral = await h.sandbox.waitForEvent(
      (e) => e.event === "ephemeral_message" && e.broadcast.user_id === alice,
    );
    expect(String(ephemeral.data.post)).toMatch(/not allowed to run `private`/);
    expect((await ask("@todobot whoami", ops, "bob")).reply.message).toBe("```\nsecret stuff\n```");
    expect(h.botPostsInThread(refused)).toHaveLength(0);
  });

  it("answers only in its channels", async () => {
    const elsewhere = h.say("alice", town, "@todobot opsonly");
    const alice = h.seed.users.alice.user.id;
    const ephemeral = await h.sandbox.waitForEvent(
      (e) => e.event === "ephemeral_message" && e.broadcast.user_id === alice,
    );
    expect(String(ephemeral.data.post)).toMatch(
      /`opsonly` cannot be used in this channel; it is limited to: ops/,
    );
    expect((await ask("@todobot opsonly")).reply.message).toBe("```\nops things\n```");
    expect(h.botPostsInThread(elsewhere)).toHaveLength(0);
  });

  it("runs nothing for a message that does not address the bot", async () => {
    const unaddressed = h.say("alice", ops, "todo add not for the bot");
    await ask("@todobot todo list"); // same channel, handled after it
    expect(h.botPostsInThread(unaddressed)).toHaveLength(0);
    expect((await ask("@todobot todo list")).reply.message).not.toMatch(/not for the bot/);
  });
});
