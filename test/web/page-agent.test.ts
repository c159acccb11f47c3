/**
 * The agent through the page, in Chromium, against the scripted OpenAI-compatible test server:
 * a person stops a streaming answer by picking 🛑 in the reaction picker, as they would in
 * Mattermost. The request to the model is aborted and the page shows the answer marked stopped.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent } from "../../src/apps/agent/index.js";
import { OpenAiTestServer } from "../helpers/openai-server.js";
import {
  hasChromium,
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
  },
);
