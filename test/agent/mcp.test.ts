/**
 * The agent with MCP servers, end to end: the MCP project's reference servers from npm
 * (server-filesystem on a temp folder, server-everything) as real child processes, the sandbox
 * over real HTTP and WebSocket, the bot's HTTP source for the approval buttons, and the
 * OpenAI-compatible test server as the model, scripted to call tools. What the thread shows,
 * what the model was sent, and what happened on disk.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent, mcpServer } from "../../src/apps/agent/index.js";
import type { Post } from "../../src/mattermost/types.js";
import { until } from "../helpers/cli.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { OpenAiTestServer, type RecordedRequest } from "../helpers/openai-server.js";
import { freePort } from "../helpers/ports.js";

const MODULES = join(import.meta.dirname, "../../node_modules/@modelcontextprotocol");
export const FILESYSTEM_SERVER = join(MODULES, "server-filesystem/dist/index.js");
export const EVERYTHING_SERVER = join(MODULES, "server-everything/dist/index.js");
const APPROVAL_TIMEOUT_MS = 4_000;

interface ShownAttachment {
  actions?: { id: string; name: string }[];
}
const actionsOf = (post: Post | undefined) =>
  ((post?.props as { attachments?: ShownAttachment[] } | undefined)?.attachments ?? []).flatMap(
    (a) => a.actions ?? [],
  );
const toolNames = (r: RecordedRequest) =>
  ((r.body.tools as { function: { name: string } }[] | undefined) ?? []).map(
    (t) => t.function.name,
  );
const toolMessage = (r: RecordedRequest) =>
  r.body.messages?.find((m) => m.role === "tool")?.content ?? "";

/** `until` waits while its probe gives undefined: a condition as that. */
const yes = (condition: boolean) => condition || undefined;

/** The process ids whose command line holds `marker` (the temp folder a server was given). */
function pidsWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe("the agent with MCP servers, and approvals in the thread", () => {
  let h: Harness;
  let model: OpenAiTestServer;
  let folder: string;
  let alice: string;
  let bob: string;
  let admin: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "mmbot-mcp-fs-"));
    writeFileSync(join(folder, "notes.txt"), "hello from the folder\n");
    writeFileSync(join(folder, "big.txt"), "x".repeat(1024 * 1024));
    model = await OpenAiTestServer.start();
    model.otherwise(() => ({ chunks: ["Done."] }));
    const port = await freePort();
    const logStream = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    h = await startHarness({
      bot: {
        logger: pino({ level: "debug" }, logStream),
        http: { listen: `127.0.0.1:${port}`, actionSecret: "mcp-approvals-secret-0123" },
      },
      setup: (bot) =>
        void bot.use(
          agent({
            url: model.url,
            model: "test-model",
            editIntervalMs: 100,
            approvers: ["bob"],
            approvalTimeoutMs: APPROVAL_TIMEOUT_MS,
            mcpConnection: { restartDelayMs: 200, maxRestartDelayMs: 400 },
            channels: ["town-square", { channel: "ops", mcpServers: ["every"] }],
            tools: [
              mcpServer({
                name: "fs",
                command: process.execPath,
                args: [FILESYSTEM_SERVER, folder],
                tools: { move_file: "deny" },
              }),
              mcpServer({
                name: "every",
                command: process.execPath,
                args: [EVERYTHING_SERVER, "stdio"],
              }),
            ],
          }),
        ),
    });
    // the refusal of a not-allowed clicker is an ephemeral post: the System Admin role's right
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin");
    alice = h.seed.users.alice.user.id;
    bob = h.seed.users.bob.user.id;
    admin = h.seed.users.admin.user.id;
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await model?.close();
  });

  const ask = (message: string) =>
    h.say("alice", h.seed.channels.townSquare.id, `@todobot ${message}`);
  /** The model's request whose last message is the tool's result for `callId`. */
  const afterTool = (callId: string) =>
    model.waitForRequest(
      (r) =>
        r.body.messages?.some((m) => (m as { tool_call_id?: string }).tool_call_id === callId) ??
        false,
      APPROVAL_TIMEOUT_MS + 5_000,
    );
  const approvalPost = (question: Post) =>
    until(
      () => h.botPostsInThread(question).find((p) => p.message.includes("Approval needed")),
      "the approval post",
      5_000,
    );
  const threadText = (question: Post) =>
    h
      .botPostsInThread(question)
      .map((p) => p.message)
      .join("\n");

  it("offers the servers' tools as <server>__<tool> with their schema, leaving out the denied ones", async () => {
    const question = ask("what tools do you have?");
    const request = await model.waitForRequest((r) =>
      (r.body.messages ?? []).some((m) => m.content?.includes("what tools do you have?")),
    );
    const names = toolNames(request);
    expect(names).toEqual(
      expect.arrayContaining(["fs__read_text_file", "fs__write_file", "every__echo"]),
    );
    expect(names).not.toContain("fs__move_file"); // deny: never offered
    const spec = (
      request.body.tools as { function: { name: string; parameters: { properties: object } } }[]
    ).find((t) => t.function.name === "fs__read_text_file");
    expect(Object.keys(spec!.function.parameters.properties)).toContain("path");
    await until(() => yes(threadText(question).includes("Done.")), "the answer", 5_000);
  });

  it("a channel may have only some servers' tools", async () => {
    h.say("alice", h.seed.channels.ops.id, "@todobot which tools here?");
    const request = await model.waitForRequest((r) =>
      (r.body.messages ?? []).some((m) => m.content?.includes("which tools here?")),
    );
    expect(toolNames(request)).toContain("every__echo");
    expect(toolNames(request).some((name) => name.startsWith("fs__"))).toBe(false);
  });

  it("runs a read-only tool at once and gives its result to the model", async () => {
    model.next(
      {
        chunks: [],
        toolCalls: [
          {
            id: "read1",
            name: "fs__read_text_file",
            arguments: JSON.stringify({ path: join(folder, "notes.txt") }),
          },
        ],
      },
      { chunks: ["The file says hello."] },
    );
    const question = ask("read notes.txt");
    const request = await afterTool("read1");
    expect(toolMessage(request)).toBe("hello from the folder\n");
    await until(
      () => yes(threadText(question).includes("The file says hello.")),
      "the answer",
      5_000,
    );
    expect(threadText(question)).not.toContain("Approval needed");
  });

  it("cuts a tool's 1 MB result to the cap, saying so to the model", async () => {
    model.next(
      {
        chunks: [],
        toolCalls: [
          {
            id: "big1",
            name: "fs__read_text_file",
            arguments: JSON.stringify({ path: join(folder, "big.txt") }),
          },
        ],
      },
      { chunks: ["That is a big file."] },
    );
    ask("read big.txt");
    const content = toolMessage(await afterTool("big1"));
    expect(content.startsWith("x".repeat(65_536))).toBe(true);
    expect(content).toMatch(
      /\[cut: the result had 1048576 characters; only the first 65536 are kept\]$/,
    );
    expect(content.length).toBeLessThan(66_000);
  });

  const writeCall = (id: string, file: string) => ({
    chunks: [],
    toolCalls: [
      {
        id,
        name: "fs__write_file",
        arguments: JSON.stringify({ path: join(folder, file), content: `written by ${id}` }),
      },
    ],
  });

  it("asks before a tool that is not read-only; an approver's Approve runs it and the post says who and when", async () => {
    model.next(writeCall("write1", "approved.txt"), { chunks: ["Written."] });
    const question = ask("write approved.txt");
    const approval = await approvalPost(question);
    expect(approval.message).toContain("`fs__write_file`");
    expect(approval.message).toContain("approved.txt"); // the arguments, readable
    expect(approval.message).toContain("@alice, @bob may approve or deny it");
    expect(actionsOf(approval).map((a) => a.name)).toEqual(["Approve", "Deny"]);
    expect(existsSync(join(folder, "approved.txt"))).toBe(false); // waits
    await h.sandbox.clickAction(bob, approval.id, actionsOf(approval)[0]!.id);
    const request = await afterTool("write1");
    expect(toolMessage(request)).not.toMatch(/^refused/);
    expect(readFileSync(join(folder, "approved.txt"), "utf8")).toBe("written by write1");
    const updated = h.sandbox.getPost(approval.id)!;
    expect(updated.message).toMatch(/\*\*Approved\*\* by @bob at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(actionsOf(updated)).toEqual([]); // the buttons are gone
    await until(() => yes(threadText(question).includes("Written.")), "the answer", 5_000);
    // the next turn's history: the answer, not the approval post (the bot's question to a person)
    h.say("alice", h.seed.channels.townSquare.id, "thanks, and now?", question.id);
    const next = await model.waitForRequest(
      (r) => r.body.messages?.at(-1)?.content === "alice: thanks, and now?",
    );
    const history = (next.body.messages ?? []).map((m) => m.content).join("\n");
    expect(history).toContain("Written.");
    expect(history).not.toContain("Approval needed");
  });

  it("Deny by the asker refuses the call and tells the model", async () => {
    model.next(writeCall("write2", "denied.txt"), { chunks: ["Understood, I did not write it."] });
    const question = ask("write denied.txt");
    const approval = await approvalPost(question);
    await h.sandbox.clickAction(alice, approval.id, actionsOf(approval)[1]!.id);
    expect(toolMessage(await afterTool("write2"))).toBe(
      "refused: @alice denied it. The call was not run.",
    );
    expect(existsSync(join(folder, "denied.txt"))).toBe(false);
    expect(h.sandbox.getPost(approval.id)!.message).toMatch(/\*\*Denied\*\* by @alice at /);
    await until(
      () => yes(threadText(question).includes("I did not write it")),
      "the answer",
      5_000,
    );
  });

  it("a click by someone not allowed gets a private refusal and changes nothing", async () => {
    model.next(writeCall("write3", "third.txt"), { chunks: ["Ok."] });
    const question = ask("write third.txt");
    const approval = await approvalPost(question);
    await h.sandbox.clickAction(admin, approval.id, actionsOf(approval)[0]!.id);
    await until(
      () =>
        h.sandbox
          .ephemeralPosts(admin)
          .find((p) => p.message.includes("You may not decide this approval")),
      "the private refusal",
      5_000,
    );
    expect(existsSync(join(folder, "third.txt"))).toBe(false);
    expect(actionsOf(h.sandbox.getPost(approval.id))).toHaveLength(2); // still waiting
    await h.sandbox.clickAction(bob, approval.id, actionsOf(approval)[0]!.id);
    await afterTool("write3");
    expect(existsSync(join(folder, "third.txt"))).toBe(true);
  });

  it("an approval not decided in time refuses the call and says it expired", async () => {
    model.next(writeCall("write4", "late.txt"), { chunks: ["Nobody approved."] });
    const question = ask("write late.txt");
    const approval = await approvalPost(question);
    expect(toolMessage(await afterTool("write4"))).toBe(
      "refused: no one approved it within 4 s. The call was not run.",
    );
    expect(existsSync(join(folder, "late.txt"))).toBe(false);
    expect(h.sandbox.getPost(approval.id)!.message).toContain("**Expired**");
    await h.sandbox.clickAction(bob, approval.id, "agentapprove").catch(() => {}); // no buttons left
    expect(existsSync(join(folder, "late.txt"))).toBe(false);
  });

  it("!stop while an approval waits refuses it and stops the answer", async () => {
    model.next(writeCall("write5", "stopped.txt"));
    const question = ask("write stopped.txt");
    const approval = await approvalPost(question);
    h.say("alice", h.seed.channels.townSquare.id, "!stop", question.id);
    await until(
      () => yes(h.sandbox.getPost(approval.id)!.message.includes("**Stopped**")),
      "the approval post marked stopped",
      5_000,
    );
    await until(() => yes(threadText(question).includes("(stopped)")), "the answer stopped", 5_000);
    expect(existsSync(join(folder, "stopped.txt"))).toBe(false);
  });

  it("a pending approval survives a restart: a click after it says it expired, and the post too", async () => {
    model.next(writeCall("write6", "restart.txt"));
    const question = ask("write restart.txt");
    const approval = await approvalPost(question);
    await h.restartBot();
    await until(() => yes(threadText(question).includes("(stopped)")), "the answer stopped", 5_000);
    const kept = h.sandbox.getPost(approval.id)!;
    expect(actionsOf(kept)).toHaveLength(2); // still pending, in the store
    await h.sandbox.clickAction(bob, approval.id, actionsOf(kept)[0]!.id);
    await until(
      () => h.sandbox.ephemeralPosts(bob).find((p) => p.message.includes("This approval expired")),
      "the clicker told it expired",
      5_000,
    );
    expect(h.sandbox.getPost(approval.id)!.message).toContain("**Expired**");
    expect(actionsOf(h.sandbox.getPost(approval.id))).toEqual([]);
    expect(existsSync(join(folder, "restart.txt"))).toBe(false);
  }, 30_000);

  it("a dying server is reported once, its tools withdrawn while down (a call told to the model), then back", async () => {
    const before = logLines.length;
    const [pid] = pidsWith(folder);
    expect(pid).toBeDefined();
    process.kill(pid!, "SIGKILL");
    await until(
      () => yes(logLines.slice(before).some((l) => l.includes("an MCP server failed"))),
      "the failure in the log",
      5_000,
    );
    // back after the backoff: a new process, its tools offered again
    await until(() => yes(pidsWith(folder).some((p) => p !== pid)), "the server restarted", 10_000);
    model.next(
      {
        chunks: [],
        toolCalls: [
          {
            id: "read2",
            name: "fs__read_text_file",
            arguments: JSON.stringify({ path: join(folder, "notes.txt") }),
          },
        ],
      },
      { chunks: ["Back."] },
    );
    await until(
      () => yes(logLines.slice(before).some((l) => l.includes("the MCP server is up again"))),
      "the server up again",
      10_000,
    );
    ask("read notes.txt again");
    expect(toolMessage(await afterTool("read2"))).toBe("hello from the folder\n");
    const failures = logLines.slice(before).filter((l) => l.includes("an MCP server failed"));
    expect(failures).toHaveLength(1);
  }, 30_000);
});

describe("approvals with reactions, where the bot receives no clicks (no HTTP source)", () => {
  let h: Harness;
  let model: OpenAiTestServer;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "mmbot-mcp-react-"));
    model = await OpenAiTestServer.start();
    model.otherwise(() => ({ chunks: ["Done."] }));
    h = await startHarness({
      setup: (bot) =>
        void bot.use(
          agent({
            url: model.url,
            model: "test-model",
            approvers: ["bob"],
            tools: [
              mcpServer({
                name: "fs",
                command: process.execPath,
                args: [FILESYSTEM_SERVER, folder],
              }),
            ],
          }),
        ),
    });
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin");
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await model?.close();
  });

  const write = (id: string, file: string) => ({
    chunks: [],
    toolCalls: [
      {
        id,
        name: "fs__write_file",
        arguments: JSON.stringify({ path: join(folder, file), content: "by reaction" }),
      },
    ],
  });
  const approvalOf = (question: Post) =>
    until(
      () => h.botPostsInThread(question).find((p) => p.message.includes("Approval needed")),
      "the approval post",
      5_000,
    );

  it("asks with ✅/❌ on the approval post; a not-allowed reaction is refused privately, an approver's ✅ runs the call", async () => {
    model.next(write("r1", "reacted.txt"), { chunks: ["Written."] });
    const question = h.say("alice", h.seed.channels.townSquare.id, "@todobot write reacted.txt");
    const approval = await approvalOf(question);
    expect(approval.message).toContain(
      "@alice, @bob may react :white_check_mark: to approve or :x: to deny",
    );
    expect(actionsOf(approval)).toEqual([]);
    const admin = h.seed.users.admin.user.id;
    h.sandbox.react(admin, approval.id, "white_check_mark");
    await until(
      () =>
        h.sandbox
          .ephemeralPosts(admin)
          .find((p) => p.message.includes("You may not decide this approval")),
      "the private refusal",
      5_000,
    );
    expect(existsSync(join(folder, "reacted.txt"))).toBe(false);
    h.sandbox.react(h.seed.users.bob.user.id, approval.id, "white_check_mark");
    await until(
      () => yes(existsSync(join(folder, "reacted.txt"))),
      "the call run after the approval",
      5_000,
    );
    await until(
      () => yes(h.sandbox.getPost(approval.id)!.message.includes("**Approved** by @bob")),
      "the post updated",
      5_000,
    );
  });

  it("❌ by the asker refuses the call", async () => {
    model.next(write("r2", "refused.txt"), { chunks: ["Not written."] });
    const question = h.say("alice", h.seed.channels.townSquare.id, "@todobot write refused.txt");
    const approval = await approvalOf(question);
    h.sandbox.react(h.seed.users.alice.user.id, approval.id, "x");
    const request = await model.waitForRequest(
      (r) =>
        r.body.messages?.some((m) => (m as { tool_call_id?: string }).tool_call_id === "r2") ??
        false,
    );
    expect(toolMessage(request)).toBe("refused: @alice denied it. The call was not run.");
    expect(existsSync(join(folder, "refused.txt"))).toBe(false);
    await until(
      () => yes(h.sandbox.getPost(approval.id)!.message.includes("**Denied** by @alice")),
      "the post updated",
      5_000,
    );
  });
});
