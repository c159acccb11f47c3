/**
 * Two instances of the bot on one store: a click on an approval that reaches the instance that
 * does not wait for it still decides (through the store), and the waiting instance's call goes
 * on. Real: the sandbox, both bots over HTTP and WebSocket, the store (SQLite, and PostgreSQL
 * with TEST_DATABASE_URL), the filesystem MCP server as a child process of each instance.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { agent, mcpServer } from "../../src/apps/agent/index.js";
import { Bot } from "../../src/bot/bot.js";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { HttpSource } from "../../src/sources/http.js";
import { WebSocketSource } from "../../src/sources/websocket.js";
import { until } from "../helpers/cli.js";
import { describeEachDatabase } from "../helpers/databases.js";
import { harnessWebSocketOptions } from "../helpers/harness.js";
import { OpenAiTestServer } from "../helpers/openai-server.js";
import { freePort } from "../helpers/ports.js";

const FILESYSTEM_SERVER = join(
  import.meta.dirname,
  "../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
);
const SECRET = "two-instances-action-secret-0123";
const yes = (condition: boolean) => condition || undefined;

describeEachDatabase("an approval decided on another instance", (db) => {
  let sandbox: Sandbox;
  let seed: SeedResult;
  let model: OpenAiTestServer;
  let folder: string;
  const bots: Bot[] = [];

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "mmbot-mcp-two-"));
    model = await OpenAiTestServer.start();
    model.otherwise(() => ({ chunks: ["Done."] }));
    sandbox = await Sandbox.start();
    seed = sandbox.seed();
  });
  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await sandbox?.close();
    await model?.close();
  });

  /** An instance listening on `port`, whose buttons point at `publicPort` (the other instance). */
  async function instance(port: number, publicPort: number): Promise<Bot> {
    const bot = new Bot({
      url: sandbox.url,
      token: seed.bot.token,
      store: db.url(),
      policy: { allowedUsers: "*" },
    });
    bot.use(
      agent({
        url: model.url,
        model: "test-model",
        tools: [
          mcpServer({ name: "fs", command: process.execPath, args: [FILESYSTEM_SERVER, folder] }),
        ],
      }),
    );
    await bot.start(
      new WebSocketSource(harnessWebSocketOptions),
      new HttpSource({
        listen: `127.0.0.1:${port}`,
        publicUrl: `http://127.0.0.1:${publicPort}`,
        actionSecret: SECRET,
      }),
    );
    bots.push(bot);
    return bot;
  }

  it("a click that reaches the other instance decides, and the waiting one runs the call", async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    await instance(portA, portB); // A posts buttons that B receives, as behind one address
    model.next(
      {
        chunks: [],
        toolCalls: [
          {
            id: "two1",
            name: "fs__write_file",
            arguments: JSON.stringify({ path: join(folder, "two.txt"), content: "from A" }),
          },
        ],
      },
      { chunks: ["Written on A."] },
    );
    const question = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.townSquare.id,
      message: "@todobot write two.txt",
    });
    const approval = await until(
      () =>
        sandbox
          .thread(question.id)
          .find(
            (p: Post) => p.user_id === seed.bot.user.id && p.message.includes("Approval needed"),
          ),
      "the approval post from A",
      10_000,
    );
    await instance(portB, portB); // B starts after A took the question: only A waits
    const approve = (approval.props as { attachments: { actions: { id: string }[] }[] })
      .attachments[0]!.actions[0]!.id;
    await sandbox.clickAction(seed.users.alice.user.id, approval.id, approve);
    expect(sandbox.getPost(approval.id)!.message).toContain("**Approved** by @alice");
    await until(() => yes(existsSync(join(folder, "two.txt"))), "A runs the call", 10_000);
    expect(readFileSync(join(folder, "two.txt"), "utf8")).toBe("from A");
    await until(
      () => sandbox.thread(question.id).find((p: Post) => p.message.includes("Written on A.")),
      "A's answer going on",
      10_000,
    );
  }, 60_000);
});
