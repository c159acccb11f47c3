/**
 * The agent through the page, in Chromium, against the scripted OpenAI-compatible test server:
 * a person stops a streaming answer by picking 🛑 in the reaction picker, as they would in
 * Mattermost. The request to the model is aborted and the page shows the answer marked stopped.
 * And a tool call that needs approval (the MCP project's filesystem server, a real child
 * process): the person clicks Approve on the approval post, the file is written, and the post
 * says who approved it, in place, its buttons gone.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent, mcpServer } from "../../src/apps/agent/index.js";
import { silentLogger } from "../../src/log.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { botFromConfig, type ServiceBot } from "../../src/service/bot-from-config.js";
import { loadConfig } from "../../src/service/config.js";
import { OpenAiTestServer } from "../helpers/openai-server.js";
import { freePort } from "../helpers/ports.js";
import {
  hasChromium,
  launchChromium,
  messagesOf,
  type PageHarness,
  say,
  signedIn,
  startPageHarness,
} from "./page-harness.js";

describe.skipIf(!hasChromium)(
  "the agent on the sandbox page (skipped when /usr/bin/chromium is absent)",
  () => {
    let harness: PageHarness;
    let model: OpenAiTestServer;
    let page: Page;
    const folder = mkdtempSync(join(tmpdir(), "mmbot-page-fs-"));
    const FILESYSTEM_SERVER = join(
      import.meta.dirname,
      "../../node_modules/@modelcontextprotocol/server-filesystem/dist/index.js",
    );

    beforeAll(async () => {
      model = await OpenAiTestServer.start();
      harness = await startPageHarness({
        apps: (bot) =>
          void bot.use(
            agent({
              url: model.url,
              model: "test-model",
              allowedUsers: ["alice"],
              timeoutMs: 30_000,
              editIntervalMs: 200,
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
      page = harness.page;
      await signedIn(page, harness.sandbox.url);
    }, 60_000);

    afterAll(async () => {
      await harness?.close();
      await model?.close();
    });

    it("stops a streaming answer when 🛑 is picked in the reaction picker", async () => {
      model.next({ chunks: ["I will talk", " forever"], stallAfter: 1 });
      await page
        .getByRole("navigation", { name: "Channels" })
        .getByRole("button", { name: "ops", exact: true })
        .click();
      await say(page, "@todobot talk");
      const question = messagesOf(page).locator("article").filter({ hasText: "@todobot talk" });
      await question.hover();
      await question.getByRole("button", { name: "Reply", exact: true }).click();
      const thread = page.getByRole("complementary", { name: "Thread" });
      const answer = thread.locator("article").filter({ hasText: "I will talk" });
      await answer.waitFor();
      const request = model.chats.at(-1)!;
      expect(request.aborted).toBe(false);

      await answer.hover();
      await answer.getByRole("button", { name: "Add reaction" }).click();
      await answer.getByRole("button", { name: "React with octagonal_sign" }).click();
      await answer.getByRole("button", { name: "🛑 1" }).waitFor();
      await model.waitForRequest((r) => r === request && r.aborted, 5_000);
      await answer.getByText("(stopped)").waitFor();
    }, 30_000);

    it("runs a tool call once Approve is clicked on the approval post, which then says who approved it", async () => {
      const target = join(folder, "from-the-page.txt");
      model.next(
        {
          chunks: [],
          toolCalls: [
            {
              id: "page1",
              name: "fs__write_file",
              arguments: JSON.stringify({ path: target, content: "approved on the page" }),
            },
          ],
        },
        { chunks: ["The file is written."] },
      );
      await page
        .getByRole("navigation", { name: "Channels" })
        .getByRole("button", { name: "ops", exact: true })
        .click();
      await say(page, "@todobot write the file");
      const question = messagesOf(page)
        .locator("article")
        .filter({ hasText: "@todobot write the file" });
      await question.hover();
      await question.getByRole("button", { name: "Reply", exact: true }).click();
      const thread = page.getByRole("complementary", { name: "Thread" });
      const approval = thread.locator("article").filter({ hasText: "fs__write_file" });
      await approval.getByText("from-the-page.txt").first().waitFor();
      expect(existsSync(target)).toBe(false); // it waits for a person
      await approval.getByRole("button", { name: "Approve" }).click();
      await approval.getByText(/Approved by @alice at/).waitFor();
      expect(await approval.getByRole("button", { name: "Approve" }).count()).toBe(0);
      await thread.getByText("The file is written.").waitFor();
      expect(readFileSync(target, "utf8")).toBe("approved on the page");
    }, 30_000);
  },
);

describe.skipIf(!hasChromium)(
  "examples/agent-mcp.toml on the sandbox page (skipped when /usr/bin/chromium is absent)",
  () => {
    let sandbox: Sandbox;
    let model: OpenAiTestServer;
    let service: ServiceBot;
    let browser: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      model = await OpenAiTestServer.start();
      sandbox = await Sandbox.start();
      const seed = sandbox.seed();
      const config = loadConfig({
        path: join(import.meta.dirname, "../../examples/agent-mcp.toml"),
        env: {},
      });
      // as it is, but for the model (the test server), a free port for the receiver, a fresh store
      config.agent!.url = model.url;
      config.http!.listen = `127.0.0.1:${await freePort()}`;
      config.store.url = `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-page-example-")), "bot.db")}`;
      service = await botFromConfig(
        config,
        { url: sandbox.url, token: seed.bot.token, allowedUsers: "*" },
        silentLogger(),
      );
      await service.bot.start(...service.sources);
      ({ browser, page } = await launchChromium());
      await signedIn(page, sandbox.url);
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await service?.bot.stop();
      await sandbox?.close();
      await model?.close();
    });

    it("asks for a write with Approve / Deny buttons; Deny on the page refuses it and the post says so in place", async () => {
      const target = join(import.meta.dirname, "../../examples/never-written-by-the-page.txt");
      model.next(
        {
          chunks: [],
          toolCalls: [
            {
              id: "ex1",
              name: "fs__write_file",
              arguments: JSON.stringify({ path: target, content: "x" }),
            },
          ],
        },
        { chunks: ["Understood, I left it alone."] },
      );
      await say(page, "@todobot write never-written-by-the-page.txt");
      const question = messagesOf(page)
        .locator("article")
        .filter({ hasText: "@todobot write never-written-by-the-page.txt" });
      await question.hover();
      await question.getByRole("button", { name: "Reply", exact: true }).click();
      const thread = page.getByRole("complementary", { name: "Thread" });
      const approval = thread.locator("article").filter({ hasText: "fs__write_file" });
      await approval.getByRole("button", { name: "Approve" }).waitFor();
      await approval.getByRole("button", { name: "Deny" }).click();
      await approval.getByText(/Denied by @alice at/).waitFor();
      expect(await approval.getByRole("button", { name: "Deny" }).count()).toBe(0);
      await thread.getByText("Understood, I left it alone.").waitFor();
      const told = model.chats.at(-1)!.body.messages!.find((m) => m.role === "tool")!;
      expect(told.content).toBe("refused: @alice denied it. The call was not run.");
      expect(existsSync(target)).toBe(false);
    }, 40_000);
  },
);
