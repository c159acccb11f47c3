/**
 * A token that stops being accepted while `mmbot start` runs (revoked in the System Console,
 * or past its expiry on Mattermost 11.9+): the bot says so in one line with the fix, not as a
 * network error, and /readyz answers 503 with the reason. The sandbox plays the server's part
 * faithfully: REST calls get 401, and a WebSocket opened before stays open but silent.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FaultProxy } from "../../bench/fault-proxy.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { killBotProcesses, startBotProcess, type BotProcess } from "../helpers/bot-process.js";
import { until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";
import { readyz } from "../metrics/metrics-text.js";

let sandbox: Sandbox;
let seed: SeedResult;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
});
afterEach(async () => {
  killBotProcesses();
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(() => sandbox.close());

const TOKEN_LINE =
  /the token was refused \(expired or revoked\?\).*Fix: set mattermost\.bot_token \(env MATTERMOST_BOT_TOKEN\) to the bot's access token/;
const tokenLines = (bot: BotProcess) => bot.lines.filter((l) => TOKEN_LINE.test(l.text));

describe("a token refused", () => {
  it("at start: mmbot start exits 1 with one line that says the token was refused and the fix", async () => {
    const bot = startBotProcess({ url: sandbox.url, token: "abcdefghijklmnopqrstuvwxyz" });
    expect(await bot.exited).toBe(1);
    const lines = bot.lines.filter((l) => /token was refused/.test(l.text));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.text).toBe(
      "mmbot: the token was refused (expired or revoked?): GET /api/v4/users/me → 401: Invalid or expired session, please login again. Fix: set mattermost.bot_token (env MATTERMOST_BOT_TOKEN) to the bot's access token; tokens revoked in the System Console, or past their expiry, stop working; run `mmbot doctor` to check it",
    );
  });
});

describe("a token refused in the middle of a run", () => {
  it("revoked while the socket stays open and silent: the periodic check says it in one line with the fix, and /readyz is 503 with the reason", async () => {
    const token = sandbox.createAccessToken(seed.bot.user.id); // the seed's own token stays good for the other tests
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const bot = startBotProcess({
      url: sandbox.url,
      token,
      env: {
        MMBOT_METRICS_LISTEN: `127.0.0.1:${port}`,
        MMBOT_MATTERMOST_TOKEN_CHECK_INTERVAL_MS: "1000",
      },
    });
    await bot.waitForLine(/connected as @todobot/, 20_000);
    expect((await readyz(url)).status).toBe(200);

    expect(sandbox.revokeToken(token)).toBe(true);
    await bot.waitForLine(TOKEN_LINE, 10_000);
    const down = await until(async () => {
      const answer = await readyz(url);
      return answer.status === 503 ? answer : undefined;
    }, "/readyz to answer 503");
    expect(down.body.checks.token).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /token was refused \(expired or revoked\?\): set mattermost\.bot_token/,
      ),
    });
    // checked again every second, said once
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(tokenLines(bot)).toHaveLength(1);
    expect(bot.output()).not.toMatch(/polling took over|timed out|ECONN/);
  });

  it("a 401 on the upgrade after a drop (the token revoked meanwhile): the token line, not a network error, and auto does not poll for it", async () => {
    const token = sandbox.createAccessToken(seed.bot.user.id);
    const proxy = await FaultProxy.start(sandbox.url);
    cleanups.push(() => proxy.close());
    // the periodic check is left at its minute: what tells here is the refused upgrade
    const bot = startBotProcess({ url: proxy.url, token });
    await bot.waitForLine(/connected as @todobot/, 20_000);
    sandbox.revokeToken(token);
    proxy.cut(200);
    await bot.waitForLine(TOKEN_LINE, 15_000);
    expect(
      await bot.waitForLine(
        /websocket: the upgrade got HTTP 401 and GET \/users\/me answers 401/,
        5_000,
      ),
    ).toMatch(/expired or revoked/);
    expect(tokenLines(bot)).toHaveLength(1);
    expect(bot.output()).not.toMatch(/polling took over|upgrade is refused/);
  });
});
