/**
 * The sandbox's page in a real browser (Debian's Chromium driven by playwright-core): the todo
 * bot's whole flow as a person goes through it, a mention, a DM, `/todo list`, the Done button,
 * the Add… dialog with a field error then a valid submission, a thread reply, and the event
 * log showing the requests the sandbox sent to the bot. Screenshots land in test-artifacts/page.
 * Needs the page built (`npm run build`, which `npm test` runs first).
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox, SeedResult } from "../../src/sandbox/index.js";
import { IntegrationServer } from "../sandbox/integration-server.js";
import { ARTIFACTS, hasChromium, type PageHarness, startPageHarness } from "./page-harness.js";

const SHOTS = join(ARTIFACTS, "page");
/** Mattermost markdown: emphasis, emoji, a table and a code block. */
const MARKDOWN = [
  "Shopping for the **office** party :tada:",
  "",
  "| item | qty |",
  "| --- | --: |",
  "| milk | 2 |",
  "",
  "```ts",
  'const greeting = "hello";',
  "```",
].join("\n");

describe.skipIf(!hasChromium)(
  "the sandbox page in Chromium (skipped when /usr/bin/chromium is absent)",
  () => {
    let harness: PageHarness;
    let sandbox: Sandbox;
    let seed: SeedResult;
    let browser: BrowserContext;
    let page: Page;
    let shot = 0;
    const screenshot = async (name: string) => {
      await page.screenshot({
        path: join(SHOTS, `${String(++shot).padStart(2, "0")}-${name}.png`),
      });
    };

    beforeAll(async () => {
      harness = await startPageHarness();
      ({ sandbox, seed, browser, page } = harness);
      mkdirSync(SHOTS, { recursive: true });
    }, 60_000);

    afterAll(async () => {
      await harness?.close();
    });

    const messages = (on = page) => on.getByRole("log", { name: "Messages" });
    const say = async (text: string, on = page) => {
      const box = on.getByRole("textbox", { name: "Message" });
      await box.fill(text);
      await box.press("Enter");
    };

    it("goes through the todo bot's flow: mention, DM, /todo list, Done, the Add… dialog, a thread reply", async () => {
      try {
        await todoFlow();
      } catch (error) {
        await screenshot("failure"); // what the page showed when the step failed
        throw error;
      }
    }, 90_000);

    async function todoFlow(): Promise<void> {
      await page.goto(sandbox.url);
      await expect
        .poll(() => page.getByRole("combobox", { name: "Signed in as" }).inputValue())
        .toBe("alice");

      // a mention in a channel: the bot answers in the thread, shown in the channel too
      await page.getByRole("button", { name: "ops", exact: true }).click();
      await say(MARKDOWN);
      await messages().locator("table").getByRole("cell", { name: "milk" }).waitFor();
      expect(await messages().locator(".emoji").first().textContent()).toBe("🎉");
      await say("@todobot add buy milk");
      await messages().getByText("Added #1: buy milk").first().waitFor();
      await screenshot("mention");

      // a DM: no mention needed
      await page.getByRole("button", { name: "todobot" }).click();
      await expect
        .poll(() => page.getByRole("heading", { level: 1 }).textContent())
        .toBe("@ todobot");
      await say("add call the plumber");
      await messages().getByText("Added #1: call the plumber").waitFor();
      await screenshot("dm");

      // /todo list with autocomplete from the registered commands
      await page.getByRole("button", { name: "ops", exact: true }).click();
      await page.getByRole("textbox", { name: "Message" }).fill("/to");
      await page.getByRole("option", { name: /\/todo/ }).waitFor();
      await screenshot("slash-autocomplete");
      await say("/todo list");
      const list = messages().locator("article").filter({ hasText: "To-do list" }).last();
      await list.getByRole("button", { name: "Done" }).waitFor();
      await screenshot("todo-list");

      // the Done button: the bot redraws the list in place
      await list.getByRole("button", { name: "Done" }).click();
      await list.getByText("1 done").waitFor();
      await screenshot("done-clicked");

      // the Add… dialog: a bad due date comes back as a field error, then a valid submission
      await list.getByRole("button", { name: "Add…" }).click();
      const dialog = page.getByRole("dialog", { name: "Add a to-do item" });
      await dialog.getByLabel("Item").fill("water the plants");
      await dialog.getByLabel("Due date (optional)").fill("someday");
      await dialog.getByRole("button", { name: "Add" }).click();
      await dialog.getByText('"someday" is not a date').waitFor();
      await screenshot("dialog-field-error");
      await dialog.getByLabel("Due date (optional)").fill("2026-12-24");
      await dialog.getByRole("button", { name: "Add" }).click();
      await dialog.waitFor({ state: "hidden" });
      const confirmation = messages()
        .locator("article.ephemeral")
        .filter({ hasText: "Added #2: water the plants" });
      await confirmation.getByText("(Only visible to you)").waitFor();
      // the list the dialog was opened from is redrawn with the new item, as a Done click redraws it
      await list.getByText("water the plants").waitFor();
      await list.getByRole("button", { name: "Done" }).waitFor();
      await screenshot("dialog-submitted");

      // a thread reply: the bot answers in the side panel's thread
      // the post's actions show on hover, as in Mattermost
      const asked = messages()
        .locator("article")
        .filter({ hasText: "@todobot add buy milk" })
        .first();
      await asked.hover();
      await asked.getByRole("button", { name: "Reply", exact: true }).click();
      const thread = page.getByRole("complementary", { name: "Thread" });
      const reply = thread.getByRole("textbox", { name: "Reply" });
      await reply.fill("@todobot list");
      await reply.press("Enter");
      await thread.getByText("water the plants").waitFor();
      await screenshot("thread-reply");

      // the event log: the requests the sandbox sent to the bot, and the API calls clients made
      const log = page.getByRole("region", { name: "Event log" });
      for (const kind of ["→ slash", "→ action", "→ dialog"])
        await log.getByText(kind).first().waitFor();
      await log.getByText("/api/v4/commands/execute").first().waitFor();
      const outgoing = sandbox.trafficLog().filter((e) => e.direction === "out");
      expect(outgoing.map((e) => e.kind)).toEqual(
        expect.arrayContaining(["slash", "action", "dialog"]),
      );
      await screenshot("event-log");
    }

    it("shows another user's typing, edits, deletes and reactions live; ephemeral posts only to their user", async () => {
      const bobPage = await browser.newPage();
      try {
        await bobPage.goto(`${sandbox.url}/?user=bob`);
        await expect
          .poll(() => bobPage.getByRole("combobox", { name: "Signed in as" }).inputValue())
          .toBe("bob");
        // bob writes in Town Square while alice is in ops: it is marked unread for her until she looks
        await bobPage.getByRole("button", { name: "Town Square" }).click();
        await say("anyone for lunch?", bobPage);
        const townSquare = page.getByRole("button", { name: "Town Square" });
        await expect.poll(() => townSquare.getAttribute("class")).toContain("unread");
        await townSquare.click();
        await expect.poll(() => townSquare.getAttribute("class")).not.toContain("unread");
        await bobPage.getByRole("button", { name: "Town Square" }).click();

        await bobPage.getByRole("textbox", { name: "Message" }).pressSequentially("hel");
        await page.getByText("bob is typing…").waitFor();
        await say("hello from bob", bobPage);
        const post = messages().locator("article").filter({ hasText: "hello from bob" });
        await post.waitFor();

        const id = await messages(bobPage)
          .locator("article")
          .filter({ hasText: "hello from bob" })
          .getAttribute("data-post-id");
        const bobsPost = bobPage.locator(`article[data-post-id="${id}"]`);
        await bobsPost.hover();
        await bobsPost.getByRole("button", { name: "Edit message" }).click();
        await bobsPost.getByRole("textbox", { name: "Edit message" }).fill("hello again from bob");
        await bobsPost.getByRole("button", { name: "Save" }).click();
        await messages()
          .locator("article")
          .filter({ hasText: "hello again from bob" })
          .getByText("(edited)")
          .waitFor();

        const edited = page.locator(`article[data-post-id="${id}"]`);
        await edited.hover();
        await edited.getByRole("button", { name: "Add reaction" }).click();
        await edited.getByRole("button", { name: "React with +1" }).click();
        await bobsPost.getByRole("button", { name: "👍 1" }).waitFor();
        await screenshot("live-edit-reaction");

        // alice's ephemeral answer (the slash command's help) is hers alone
        await say("/todo help");
        await messages().locator("article.ephemeral").first().waitFor();
        expect(await messages(bobPage).locator("article.ephemeral").count()).toBe(0);

        await bobsPost.hover();
        await bobsPost.getByRole("button", { name: "Delete message" }).click();
        await edited.waitFor({ state: "detached" });
      } finally {
        await bobPage.close();
      }
    }, 60_000);

    it("sends menu picks (static, users, channels) to the integration, and attaches and downloads files", async () => {
      const integration = await IntegrationServer.start();
      try {
        integration.answer("/pick", (request) => ({
          body: {
            ephemeral_text: `picked ${String((request.parsedBody.context as Record<string, unknown>).selected_option)}`,
          },
        }));
        const menu = (id: string, name: string, extra: Record<string, unknown>) => ({
          id,
          name,
          type: "select",
          integration: { url: `${integration.url}/pick`, context: { menu: id } },
          ...extra,
        });
        sandbox.post(seed.users.admin.user.id, {
          channel_id: seed.channels.townSquare.id,
          message: "Pick some things",
          props: {
            attachments: [
              {
                text: "Three menus",
                actions: [
                  menu("fruit", "Pick a fruit", {
                    options: [
                      { text: "apple", value: "apple" },
                      { text: "pear", value: "pear" },
                    ],
                  }),
                  menu("person", "Pick a person", { data_source: "users" }),
                  menu("place", "Pick a channel", { data_source: "channels" }),
                ],
              },
            ],
          },
        });
        const post = messages().locator("article").filter({ hasText: "Three menus" });
        await post.getByRole("combobox", { name: "Pick a fruit" }).selectOption("pear");
        await messages().getByText("picked pear").waitFor();
        await post.getByRole("combobox", { name: "Pick a person" }).selectOption({ label: "bob" });
        await messages().getByText(`picked ${seed.users.bob.user.id}`).waitFor();
        await post.getByRole("combobox", { name: "Pick a channel" }).selectOption({ label: "ops" });
        await messages().getByText(`picked ${seed.channels.ops.id}`).waitFor();
        const picks = integration.requests.map(
          (r) =>
            r.parsedBody as {
              context: Record<string, unknown>;
              data_source: string;
              user_name: string;
            },
        );
        expect(picks.map((p) => [p.context.menu, p.data_source, p.user_name])).toEqual([
          ["fruit", "", "alice"],
          ["person", "users", "alice"],
          ["place", "channels", "alice"],
        ]);
        await screenshot("menus");
      } finally {
        await integration.close();
      }

      await page.locator(".channel input[type=file]").setInputFiles({
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("remember the milk\n"),
      });
      await page.getByRole("list", { name: "Files to send" }).getByText("notes.txt").waitFor();
      await say("the notes");
      const withFile = messages().locator("article").filter({ hasText: "the notes" });
      const download = page.waitForEvent("download");
      await withFile.getByRole("button", { name: "Download notes.txt" }).click();
      const saved = await download;
      expect(saved.suggestedFilename()).toBe("notes.txt");
      const path = await saved.path();
      expect(readFileSync(path, "utf8")).toBe("remember the milk\n");
      await screenshot("file");
    }, 60_000);

    it("adds a user and switches between users", async () => {
      await page.getByRole("textbox", { name: "New user name" }).fill("carol");
      await page.getByRole("button", { name: "Add user" }).click();
      await expect
        .poll(() => page.getByRole("combobox", { name: "Signed in as" }).inputValue())
        .toBe("carol");
      await page.getByRole("button", { name: "Town Square" }).waitFor();
      await screenshot("new-user");
      expect(sandbox.getUser(await userIdOf("carol"))?.username).toBe("carol");
      await page.getByRole("combobox", { name: "Signed in as" }).selectOption("bob");
      await expect
        .poll(() => page.getByRole("combobox", { name: "Signed in as" }).inputValue())
        .toBe("bob");
      // as bob, the direct messages list carol and alice, not bob himself
      const people = page.getByRole("navigation", { name: "Channels" });
      await people.getByRole("button", { name: "carol" }).waitFor();
      expect(await people.getByRole("button", { name: "bob", exact: true }).count()).toBe(0);
    }, 30_000);

    async function userIdOf(username: string): Promise<string> {
      const users = (await (await fetch(`${sandbox.url}/sandbox/users`)).json()) as Array<{
        id: string;
        username: string;
      }>;
      return users.find((u) => u.username === username)?.id ?? "";
    }
  },
);
