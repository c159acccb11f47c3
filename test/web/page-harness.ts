/**
 * A sandbox with a bot, the todo bot unless told otherwise (WebSocket and HTTP sources, so
 * slash commands, buttons and dialogs work), and Debian's Chromium driven by playwright-core,
 * for the page's browser tests.
 * Needs the page built (`npm run build`, which `npm test` runs first).
 */
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { expect } from "vitest";
import { todo } from "../../src/apps/todo/index.js";
import { Bot } from "../../src/bot/bot.js";
import { registerSandboxIntegrations } from "../../src/service/embedded-sandbox.js";
import { HttpSource } from "../../src/sources/http.js";
import { WebSocketSource } from "../../src/sources/websocket.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { PAGE_DIR } from "../../src/sandbox/page/static.js";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
/** Where the browser tests write their screenshots (gitignored). */
export const ARTIFACTS = fileURLToPath(new URL("../../test-artifacts/", import.meta.url));
const STEP_MS = 10_000;

export interface PageHarness {
  sandbox: Sandbox;
  seed: SeedResult;
  bot: Bot;
  browser: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export interface PageHarnessOptions {
  viewport?: { width: number; height: number };
  /** The bot's apps (default: the todo bot). */
  apps?: (bot: Bot) => void;
}

export async function startPageHarness(options: PageHarnessOptions = {}): Promise<PageHarness> {
  const { viewport = { width: 1400, height: 900 }, apps = (bot) => void bot.use(todo()) } = options;
  expect(existsSync(join(PAGE_DIR, "index.html")), "the page is built: run npm run build").toBe(
    true,
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  const sandbox = await Sandbox.start();
  const seed = sandbox.seed();
  const http = await registerSandboxIntegrations(sandbox, seed);
  // the dialog's confirmation is an ephemeral post over REST, which needs the System Admin role
  sandbox.setRoles(seed.bot.user.id, "system_user system_admin");
  const { triggerWords, ...httpOptions } = http;
  const bot = new Bot({
    url: sandbox.url,
    token: seed.bot.token,
    store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-page-")), "bot.db")}`,
    policy: { allowedUsers: "*" },
    triggerWords,
  });
  apps(bot);
  await bot.start(new WebSocketSource(), new HttpSource(httpOptions));
  const { browser, page } = await launchChromium(viewport);
  return {
    sandbox,
    seed,
    bot,
    browser,
    page,
    async close() {
      await browser.close();
      await bot.stop();
      await sandbox.close();
    },
  };
}

/** Debian's Chromium, headless, on an empty profile of its own; its first page. */
export async function launchChromium(
  viewport = { width: 1400, height: 900 },
): Promise<{ browser: BrowserContext; page: Page }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  // an empty profile of its own (playwright passes it as --user-data-dir)
  const browser = await chromium.launchPersistentContext(
    mkdtempSync(join(tmpdir(), "mmbot-chromium-")),
    {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport,
    },
  );
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(STEP_MS);
  return { browser, page };
}

/** The channel's message list. */
export const messagesOf = (page: Page) => page.getByRole("log", { name: "Messages" });

/** Types `text` into the channel's message box and sends it. */
export async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

/** Opens the page as `user` and waits until it is signed in. */
export async function signedIn(page: Page, url: string, user = "alice"): Promise<void> {
  await page.goto(user === "alice" ? url : `${url}/?user=${user}`);
  // a plain wait: expect.poll works only inside a test, and this also runs in beforeAll
  await page.locator("main.channel").waitFor();
  const who = page.getByRole("combobox", { name: "Signed in as" });
  for (let tries = 0; (await who.inputValue()) !== user; tries++) {
    if (tries === 200) throw new Error(`the page did not sign in as ${user}`);
    await page.waitForTimeout(50);
  }
}
