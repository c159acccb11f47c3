/**
 * The page's look and feel in Chromium, each test on what a person sees: avatars drawn without
 * an emoji font, post actions on hover (and keyboard focus), the agent's reactions in the
 * picker, a thread that follows its newest reply, an empty channel's suggestions, a folding
 * event log, a layout that works from 600 px, and screenshots of a short conversation with the
 * todo bot at 1400 and 700 px (test-artifacts/; MMBOT_DOCS_SCREENSHOT=1 also writes the
 * README's docs/images/sandbox-page.png).
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox, SeedResult } from "../../src/sandbox/index.js";
import {
  ARTIFACTS,
  hasChromium,
  messagesOf,
  type PageHarness,
  say,
  signedIn,
  startPageHarness,
} from "./page-harness.js";

const DOCS_IMAGE = fileURLToPath(new URL("../../docs/images/sandbox-page.png", import.meta.url));

/** How opaque an element shows: its opacity times its ancestors'. */
const shownOpacity = (locator: Locator) =>
  locator.evaluate((el) => {
    const view = el.ownerDocument.defaultView!;
    let opacity = 1;
    for (let e: typeof el | null = el; e; e = e.parentElement)
      opacity *= Number(view.getComputedStyle(e).opacity);
    return opacity;
  });

/** The element's box against the window and its scrolling list's visible part. */
const inView = (locator: Locator) =>
  locator.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const list = el.closest(".posts")!.getBoundingClientRect();
    return box.top >= list.top - 1 && box.bottom <= list.bottom + 1;
  });

/** A PNG's width, from its header. */
const pngWidth = (path: string) => readFileSync(path).readUInt32BE(16);

describe.skipIf(!hasChromium)(
  "the sandbox page's layout and controls in Chromium (skipped when /usr/bin/chromium is absent)",
  () => {
    let harness: PageHarness;
    let sandbox: Sandbox;
    let seed: SeedResult;
    let page: Page;
    const messages = () => messagesOf(page);
    const channel = (name: string) =>
      page.getByRole("navigation", { name: "Channels" }).getByRole("button", { name, exact: true });

    beforeAll(async () => {
      harness = await startPageHarness();
      ({ sandbox, seed, page } = harness);
      await signedIn(page, sandbox.url);
    }, 60_000);

    afterAll(async () => {
      await harness?.close();
    });

    it("an empty channel suggests what to type: the bot's mention and the team's commands; a click puts it in the message box", async () => {
      await channel("ops").click();
      const empty = page.getByRole("region", { name: "Nothing here yet" });
      await empty.getByRole("button", { name: "@todobot help" }).waitFor();
      await empty.getByRole("button", { name: "/todo help" }).waitFor();
      await empty.getByRole("button", { name: "@todobot help" }).click();
      const box = page.getByRole("textbox", { name: "Message" });
      await expect.poll(() => box.inputValue()).toBe("@todobot help");
      await box.press("Enter");
      await empty.waitFor({ state: "detached" });

      // in a DM with the bot no mention is needed
      await channel("todobot").click();
      await page
        .getByRole("region", { name: "Nothing here yet" })
        .getByRole("button", { name: "help", exact: true })
        .waitFor();
    }, 30_000);

    it("draws the bot's avatar without an emoji font: a picture the sandbox serves, no emoji text", async () => {
      await channel("todobot").click();
      await say(page, "add buy milk");
      const answer = messages().locator("article").filter({ hasText: "Added #1: buy milk" });
      await answer.waitFor();
      const avatar = answer.locator(".avatar");
      expect(await avatar.evaluate((el) => el.tagName)).toBe("IMG");
      await expect
        .poll(() =>
          avatar.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth),
        )
        .toBeGreaterThan(0);
      expect(await avatar.textContent()).toBe("");
      // the bot's face is shapes; a person's picture is their initial
      const picture = (id: string) =>
        fetch(`${sandbox.url}/sandbox/users/${id}/avatar.svg`).then(async (r) => ({
          type: r.headers.get("content-type"),
          svg: await r.text(),
        }));
      const bot = await picture(seed.bot.user.id);
      expect(bot.type).toBe("image/svg+xml");
      expect(bot.svg).not.toContain("<text");
      expect((await picture(seed.users.alice.user.id)).svg).toMatch(/<text[^>]*>A<\/text>/);
      expect((await fetch(`${sandbox.url}/sandbox/users/nobody/avatar.svg`)).status).toBe(404);
    }, 30_000);

    it("shows a post's actions on hover or keyboard focus only, not under every post", async () => {
      await channel("Town Square").click();
      await say(page, "first words");
      const post = messages().locator("article").filter({ hasText: "first words" });
      await post.waitFor();
      const edit = post.getByRole("button", { name: "Edit message" });
      await page.mouse.move(1, 1);
      await expect.poll(() => shownOpacity(edit)).toBe(0);
      await post.hover();
      await expect.poll(() => shownOpacity(edit)).toBe(1);

      // from the message box, Shift+Tab reaches the last post's actions, which then show
      await page.mouse.move(1, 1);
      await page.getByRole("textbox", { name: "Message" }).focus();
      await page.keyboard.press("Shift+Tab");
      const focused = post.locator(":focus");
      expect(await focused.getAttribute("aria-label")).toBe("Delete message");
      await expect.poll(() => shownOpacity(focused)).toBe(1);
    }, 30_000);

    it("offers 🛑 (the agent's stop) and the agent's status reactions in the picker", async () => {
      const post = messages().locator("article").filter({ hasText: "first words" });
      await post.hover();
      await post.getByRole("button", { name: "Add reaction" }).click();
      const picker = post.getByRole("group", { name: "Reactions" });
      const shown: Record<string, string> = {};
      for (const name of [
        "octagonal_sign",
        "eyes",
        "hammer_and_wrench",
        "white_check_mark",
        "warning",
      ])
        shown[name] =
          (await picker.getByRole("button", { name: `React with ${name}` }).textContent()) ?? "";
      expect(shown).toEqual({
        octagonal_sign: "🛑",
        eyes: "👀",
        hammer_and_wrench: "🛠️",
        white_check_mark: "✅",
        warning: "⚠️",
      });
      await picker.getByRole("button", { name: "React with octagonal_sign" }).click();
      await post.getByRole("button", { name: "🛑 1" }).waitFor();
      const id = (await post.getAttribute("data-post-id"))!;
      // the name the agent stops on (src/apps/agent: STOP_EMOJI)
      expect(sandbox.getPost(id)?.metadata?.reactions?.map((r) => r.emoji_name)).toEqual([
        "octagonal_sign",
      ]);
    }, 30_000);

    it("the thread panel follows its newest reply, unless you scrolled up", async () => {
      const root = sandbox.post(seed.users.bob.user.id, {
        channel_id: seed.channels.townSquare.id,
        message: "a long thread",
      });
      const reply = (n: number) =>
        sandbox.post(seed.users.bob.user.id, {
          channel_id: seed.channels.townSquare.id,
          root_id: root.id,
          message: `reply number ${n}\n\nwith a second paragraph`,
        });
      const rootPost = messages().locator(`article[data-post-id="${root.id}"]`);
      await rootPost.hover();
      await rootPost.getByRole("button", { name: "Reply", exact: true }).click();
      const thread = page.getByRole("complementary", { name: "Thread" });
      await thread.getByText("a long thread").waitFor();
      for (let n = 1; n <= 25; n++) reply(n);
      const newest = thread.locator("article").filter({ hasText: "reply number 25" });
      await newest.waitFor();
      await expect.poll(() => inView(newest)).toBe(true);

      // scrolled up to read: a new reply leaves the view where it is
      const list = thread.locator(".posts");
      await list.evaluate((el) => el.scrollTo({ top: 0 }));
      await list.dispatchEvent("scroll");
      reply(26);
      await thread.locator("article").filter({ hasText: "reply number 26" }).waitFor();
      expect(await list.evaluate((el) => el.scrollTop)).toBe(0);
      expect(await inView(thread.locator("article").filter({ hasText: "a long thread" }))).toBe(
        true,
      );
      await thread.getByRole("button", { name: "Close thread" }).click();
    }, 30_000);

    it("folds the event log to its title bar, which counts the entries; it stays folded after a reload", async () => {
      const log = page.getByRole("region", { name: "Event log" });
      const fold = log.getByRole("button", { name: /^Event log/ });
      const rows = log.locator("table");
      await rows.waitFor();
      expect(await fold.getAttribute("aria-expanded")).toBe("true");
      const listHeight = () => messages().evaluate((el) => el.getBoundingClientRect().height);
      const before = await listHeight();
      await fold.click();
      await rows.waitFor({ state: "hidden" });
      expect(await fold.textContent()).toMatch(/^Event log \(\d+\)$/);
      await expect.poll(listHeight).toBeGreaterThan(before + 100);
      await page.reload();
      await log.getByRole("button", { name: /^Event log/ }).waitFor();
      expect(
        await log.getByRole("button", { name: /^Event log/ }).getAttribute("aria-expanded"),
      ).toBe("false");
      await log.getByRole("button", { name: /^Event log/ }).click();
      await rows.waitFor();
    }, 30_000);

    it("works from 600 px wide: the sidebar folds behind a Channels button, a thread takes the channel's place, nothing scrolls sideways", async () => {
      await page.setViewportSize({ width: 600, height: 800 });
      try {
        // the message box with its buttons
        const box = page.getByRole("textbox", { name: "Message" }).locator("xpath=..");
        const edges = async (locator: Locator) => (await locator.boundingBox())!;
        await expect.poll(async () => (await edges(box)).width).toBeGreaterThan(540);
        await expect.poll(() => channel("ops").isVisible()).toBe(false);
        const toggle = page.getByRole("button", { name: "Channels" });
        await toggle.click();
        await channel("ops").waitFor();
        await page.keyboard.press("Escape");
        await expect.poll(() => channel("ops").isVisible()).toBe(false);
        await toggle.click();
        await channel("ops").click();
        await expect
          .poll(() => page.getByRole("heading", { level: 1 }).textContent())
          .toBe("# ops");
        await expect.poll(() => channel("ops").isVisible()).toBe(false);

        const post = messages().locator("article").filter({ hasText: "@todobot help" });
        await post.hover();
        await post.getByRole("button", { name: "Reply", exact: true }).click();
        const reply = page
          .getByRole("complementary", { name: "Thread" })
          .getByRole("textbox", { name: "Reply" })
          .locator("xpath=..");
        const r = await edges(reply);
        expect(r.x).toBeGreaterThanOrEqual(0);
        expect(r.x + r.width).toBeLessThanOrEqual(600);
        expect(r.width).toBeGreaterThan(540);
        expect(await page.locator("html").evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(
          600,
        );
        await page.getByRole("button", { name: "Close thread" }).click();
        await expect.poll(async () => (await edges(box)).width).toBeGreaterThan(540);
      } finally {
        await page.setViewportSize({ width: 1400, height: 900 });
      }
    }, 30_000);

    it("screenshots a short conversation with the todo bot at 1400 and 700 px", async () => {
      await channel("todobot").click();
      await say(page, "add call the plumber");
      await messages().getByText("Added #2: call the plumber").waitFor();
      await say(page, "/todo list");
      const list = messages().locator("article").filter({ hasText: "To-do list" }).last();
      await list.getByRole("button", { name: "Done" }).first().click();
      await list.getByText("1 done").waitFor();
      await page.mouse.move(1, 1);
      const shots: Record<number, string> = {};
      for (const width of [1400, 700]) {
        await page.setViewportSize({ width, height: width === 1400 ? 800 : 900 });
        shots[width] = join(ARTIFACTS, `sandbox-page-${width}.png`);
        await page.screenshot({ path: shots[width], animations: "disabled" });
      }
      await page.setViewportSize({ width: 1400, height: 900 });
      expect(pngWidth(shots[1400]!)).toBe(1400);
      expect(pngWidth(shots[700]!)).toBe(700);
      if (process.env.MMBOT_DOCS_SCREENSHOT === "1") {
        await page.setViewportSize({ width: 1100, height: 760 });
        await page.screenshot({ path: DOCS_IMAGE, animations: "disabled" });
        await page.setViewportSize({ width: 1400, height: 900 });
        expect(statSync(DOCS_IMAGE).size).toBeLessThan(150_000);
      }
    }, 30_000);
  },
);
