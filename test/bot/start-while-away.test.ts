/**
 * A bot started while the server is away (found by `npm run chaos`: a bot process restarted
 * during a network cut exited with "GET /api/v4/users/me failed" after a second of retries).
 * It waits for the server, as its WebSocket does, and answers once it is back; a refused token
 * still fails at once.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { todo } from "../../src/apps/todo/index.js";
import { Bot } from "../../src/bot/bot.js";
import { MattermostApiError, TokenRefusedError } from "../../src/errors.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { WebSocketSource } from "../../src/sources/websocket.js";
import { harnessWebSocketOptions } from "../helpers/harness.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function botFor(sandbox: Sandbox, token: string): Bot {
  const bot = new Bot({
    url: sandbox.url,
    token,
    store: `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-away-")), "bot.db")}`,
    policy: { allowedUsers: "*" },
  });
  bot.use(todo());
  return bot;
}

describe("a bot started while the server is away", () => {
  it("waits for it and answers once it is reachable", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    const seed = sandbox.seed();
    sandbox.faults.cut(3_000);
    const bot = botFor(sandbox, seed.bot.token);
    cleanups.push(() => bot.stop());
    await bot.start(new WebSocketSource(harnessWebSocketOptions));
    const post = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "@todobot add after the cut",
    });
    const reply = await sandbox.waitForPost(
      (p) => p.user_id === seed.bot.user.id && p.root_id === post.id,
      { timeoutMs: 5_000 },
    );
    expect(reply.message).toBe("Added #1: after the cut");
  });

  it("restarted while /users/me fails, starts at once as the user its last run learnt, and answers", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    const seed = sandbox.seed();
    const store = `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-away-")), "bot.db")}`;
    const make = () => {
      const bot = new Bot({
        url: sandbox.url,
        token: seed.bot.token,
        store,
        policy: { allowedUsers: "*" },
      });
      bot.use(todo());
      return bot;
    };
    const first = make();
    await first.start(new WebSocketSource(harnessWebSocketOptions));
    await first.stop();

    // the one call a start waited on fails for as long as the test runs; the rest of the server works
    sandbox.faults.failRest({ path: "^/api/v4/users/me$", answer: 502, count: 100_000 });
    const second = make();
    cleanups.push(() => second.stop());
    await second.start(new WebSocketSource(harnessWebSocketOptions));
    expect(second.user.username).toBe("todobot");
    const post = sandbox.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "@todobot add while /users/me fails",
    });
    const reply = await sandbox.waitForPost(
      (p) => p.user_id === seed.bot.user.id && p.root_id === post.id,
      { timeoutMs: 10_000 },
    );
    expect(reply.message).toBe("Added #1: while /users/me fails");
    sandbox.faults.clear();
  }, 30_000);

  it("fails at once on a refused token", async () => {
    const sandbox = await Sandbox.start();
    cleanups.push(() => sandbox.close());
    sandbox.seed();
    const bot = botFor(sandbox, "not-a-token");
    const refused = await bot
      .start(new WebSocketSource(harnessWebSocketOptions))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TokenRefusedError);
    expect((refused as TokenRefusedError).cause).toBeInstanceOf(MattermostApiError);
    expect((refused as TokenRefusedError).message).toMatch(
      /^the token was refused \(expired or revoked\?\): GET \/api\/v4\/users\/me → 401/,
    );
  });
});
