import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { todo } from "../../src/apps/todo/index.js";
import { runChat } from "../../src/service/chat/terminal-chat.js";
import { CLI, until } from "../helpers/cli.js";
import { startHarness, type Harness } from "../helpers/harness.js";

/** A chat session on pipes: type lines, read what it printed. */
function terminal() {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = "";
  output.on("data", (chunk: Buffer) => (printed += chunk.toString()));
  return {
    input,
    output,
    type: (line: string) => input.write(`${line}\n`),
    get printed() {
      return printed;
    },
    async waitFor(pattern: RegExp, timeoutMs = 5_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const match = printed.match(pattern);
        if (match) return match[0];
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error(`chat never printed ${pattern}; it printed:\n${printed}`);
    },
  };
}

describe("mmbot chat against the sandbox", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("posts as alice, shows the bot's threaded reply, DMs the bot and replies in a thread", async () => {
    h = await startHarness();
    h.sandbox.directChannel(h.seed.users.alice.user.id, h.seed.bot.user.id); // a DM from before, not opened yet
    const term = terminal();
    const done = runChat({
      url: h.sandbox.url,
      user: "alice",
      input: term.input,
      output: term.output,
      terminal: false,
    });
    await term.waitFor(/You are @alice/);
    term.type("/channels");
    await term.waitFor(/^ {2}@todobot$/m); // named by its other user: a DM's display_name is empty, as on a server

    term.type("@todobot add buy milk");
    await term.waitFor(/#\d+ \d\d:\d\d alice: @todobot add buy milk/);
    await term.waitFor(/↳ re #\d+ todobot: Added #1: buy milk/);
    expect(
      h.sandbox
        .channelPosts(h.seed.channels.townSquare.id)
        .some(
          (p) => p.message === "@todobot add buy milk" && p.user_id === h!.seed.users.alice.user.id,
        ),
    ).toBe(true);

    term.type("/dm todobot");
    await term.waitFor(/direct messages with @todobot/);
    term.type("add call mom");
    await term.waitFor(/todobot: Added #1: call mom/);

    // reply in the thread of the post shown as #n: the bot's answer lands in that thread
    const shown = term.printed.match(/#(\d+) \d\d:\d\d alice: add call mom/);
    expect(shown).not.toBeNull();
    term.type(`/thread ${shown![1]}`);
    term.type("list");
    await term.waitFor(/todobot: .*call mom/);
    const dm = h.sandbox.directChannel(h.seed.users.alice.user.id, h.seed.bot.user.id);
    const dmRoot = h.sandbox.channelPosts(dm.id).find((p) => p.message === "add call mom");
    expect(dmRoot).toBeDefined();
    await expect
      .poll(() =>
        h!.sandbox.thread(dmRoot!.id).some((p) => p.message === "list" && p.root_id === dmRoot!.id),
      )
      .toBe(true);
    expect(
      h.sandbox
        .channelPosts(h.seed.channels.townSquare.id)
        .some((p) => p.message.includes("call mom")),
    ).toBe(false);

    term.type("/quit");
    await done;
  });

  it("shows that the bot is typing while a slow handler runs", async () => {
    h = await startHarness({
      setup: (bot) => {
        bot.command("slow", async (ctx) => {
          await new Promise((r) => setTimeout(r, 700));
          await ctx.reply("finally");
        });
        bot.use(todo());
      },
    });
    const term = terminal();
    const done = runChat({
      url: h.sandbox.url,
      input: term.input,
      output: term.output,
      terminal: false,
    });
    await term.waitFor(/You are @alice/);
    term.type("@todobot slow");
    await term.waitFor(/todobot is typing…/);
    await term.waitFor(/todobot: finally/);
    expect(term.printed.indexOf("todobot is typing…")).toBeLessThan(
      term.printed.indexOf("todobot: finally"),
    );
    term.input.end();
    await done;
  });

  it("explains a bad command and a wrong password", async () => {
    h = await startHarness();
    const term = terminal();
    const done = runChat({
      url: h.sandbox.url,
      input: term.input,
      output: term.output,
      terminal: false,
    });
    await term.waitFor(/You are @alice/);
    term.type("/thread 999");
    await term.waitFor(/✗ there is no post #999/);
    term.type("/frobnicate");
    await term.waitFor(/✗ .*frobnicate.*not found/i);
    term.type("/join no-such-channel");
    await term.waitFor(/✗ .+/);
    term.type("/quit");
    await done;

    await expect(
      runChat({
        url: h.sandbox.url,
        user: "alice",
        password: "wrong",
        input: new PassThrough(),
        output: new PassThrough(),
      }),
    ).rejects.toThrow(/login as alice failed \(401\)/);
  });

  it("sends other slash commands to the server and shows the ephemeral answer", async () => {
    h = await startHarness();
    const integration = createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        const text = new URLSearchParams(body).get("text");
        res.setHeader("Content-Type", "application/json");
        res.end(JSON.stringify({ text: `forecast for ${text}: sunny` }));
      });
    });
    await new Promise<void>((resolve) => integration.listen(0, "127.0.0.1", resolve));
    try {
      const port = (integration.address() as AddressInfo).port;
      h.sandbox.createCommand(h.seed.users.admin.user.id, {
        team_id: h.seed.team.id,
        trigger: "weather",
        url: `http://127.0.0.1:${port}/`,
      });
      const term = terminal();
      const done = runChat({
        url: h.sandbox.url,
        input: term.input,
        output: term.output,
        terminal: false,
      });
      await term.waitFor(/You are @alice/);
      term.type("/weather berlin");
      await term.waitFor(/\(only you\) forecast for berlin: sunny/);
      term.type("/quit");
      await done;
    } finally {
      integration.close();
    }
  });

  it("against `mmbot start`'s embedded sandbox: /todo, a button click redrawing the list, the outgoing webhook", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-chat-"));
    const child = spawn(process.execPath, [CLI, "start"], {
      cwd,
      env: { PATH: process.env.PATH, MMBOT_SANDBOX_PORT: "0", MMBOT_LOG_LEVEL: "warn" },
    });
    try {
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      await until(() => stdout.includes("connected to") || undefined, "the bot's connected line");
      const url = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      expect(url).toBeDefined();

      const term = terminal();
      const done = runChat({ url: url!, input: term.input, output: term.output, terminal: false });
      await term.waitFor(/You are @alice/);
      term.type("/todo add buy milk");
      await term.waitFor(/\(only you\) Added #1: buy milk/);
      term.type("/todo list");
      await term.waitFor(/\| \[1 Done\] \[2 Delete\]/);
      const listNumber = /#(\d+) \d\d:\d\d alice: \*\*To-do list\*\* · 1 open/.exec(
        term.printed,
      )?.[1];
      expect(listNumber).toBeDefined();
      term.type(`/click ${listNumber} 1`);
      await term.waitFor(
        new RegExp(`#${listNumber} \\(edited\\) alice: \\*\\*To-do list\\*\\* · 0 open, 1 done`),
      );

      term.type("/join off-topic");
      term.type("todo add from the webhook");
      await term.waitFor(/↳ re #\d+ todobot: Added #1: from the webhook/);
      term.type("/quit");
      await done;
    } finally {
      child.kill("SIGTERM");
    }
  });
});
