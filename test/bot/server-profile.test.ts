/**
 * The bot knows its server: one `GET /config/client` at start (kept) gives the version, the
 * longest message (answers are split there) and whether override props will show. Each
 * version-dependent behaviour shown on both sides, against the sandbox playing the versions.
 */
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { sendAsBot } from "../../src/mattermost/send-without-bot.js";
import { Sandbox, type SandboxOptions } from "../../src/sandbox/index.js";
import { startHarness, type Harness } from "../helpers/harness.js";

const cleanups: (() => Promise<unknown>)[] = [];
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(options: SandboxOptions) {
  const sandbox = await Sandbox.start(options);
  cleanups.push(() => sandbox.close());
  return { sandbox, seed: sandbox.seed() };
}

/** A pino logger whose entries land in `lines`. */
function capturing(): { logger: pino.Logger; lines: Array<{ msg: string; [k: string]: unknown }> } {
  const lines: Array<{ msg: string }> = [];
  const logger = pino(
    { level: "info" },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}

describe("client.serverInfo()", () => {
  it.each([
    ["5.37", 5, 37],
    ["11.10", 11, 10],
    ["12.0", 12, 0],
  ] as const)(
    "reads %s's version and MaxPostSize in one request, kept",
    async (version, major, minor) => {
      const { sandbox, seed } = await started({ version });
      const client = new MattermostClient({ url: sandbox.url, token: seed.bot.token });
      const before = sandbox.trafficLog().length;
      const [info] = await Promise.all([client.serverInfo(), client.maxPostSize()]);
      expect(info).toMatchObject({ major, minor, maxPostSize: 16_383, known: true });
      expect(info.version).toBe(sandbox.profile.currentVersion);
      await client.serverInfo();
      expect(
        sandbox
          .trafficLog()
          .slice(before)
          .filter((e) => e.url.startsWith("/api/v4/config/client")),
      ).toHaveLength(1);
    },
  );
});

describe("a long answer is split at the server's MaxPostSize", () => {
  const long = Array.from({ length: 250 }, (_, i) => `line ${i} ${"x".repeat(30)}`).join("\n"); // ~10,000 characters

  it.each([
    // a 5.37 whose Posts.Message column is still VARCHAR(4000) (sqlstore determineMaxPostSize):
    // MaxPostSize 4000, so three posts; the same answer is one post on 12.0 (16383)
    ["5.37 with a 4000-character column", { version: "5.37", maxPostSize: 4_000 }, 3],
    ["12.0", { version: "12.0", maxPostSize: undefined }, 1],
  ] as const)("%s", async (_name, sandbox, parts) => {
    h = await startHarness({
      sandbox,
      setup: (bot) => void bot.command("long", (ctx) => ctx.reply(long)),
    });
    const post = h.say("alice", h.seed.channels.ops.id, "@todobot long");
    await h.replyTo(post);
    await new Promise((r) => setTimeout(r, 300)); // the other parts, if any
    const posts = h.botPostsInThread(post);
    expect(posts).toHaveLength(parts);
    expect(posts.map((p) => p.message).join("\n")).toBe(long);
    expect(h.bot.server.maxPostSize).toBe(sandbox.maxPostSize ?? 16_383);
  });
});

describe("override props the server will not show: said once, naming the key and the version", () => {
  it("a user's token on 12.0: sendAsBot warns about username and the server drops it; on 5.37 it is kept, no warning", async () => {
    for (const [version, kept] of [
      ["5.37", true],
      ["12.0", false],
    ] as const) {
      const { sandbox, seed } = await started({ version });
      const client = new MattermostClient({ url: sandbox.url, token: seed.users.alice.token });
      const warnings: string[] = [];
      const post = await sendAsBot(
        client,
        { channel: "off-topic" },
        { text: "deploy done", username: "monitor" },
        { warn: (message) => warnings.push(message) },
      );
      expect(post.props?.override_username, version).toBe(kept ? "monitor" : undefined);
      expect(warnings, version).toEqual(
        kept
          ? []
          : [
              "username: will not show on Mattermost 12.0.0: Mattermost 12.0.0 ignores it on posts made with a personal access token (use a bot account's token)",
            ],
      );
    }
  });

  it("a bot's token on 12.0 keeps them, no warning", async () => {
    const { sandbox, seed } = await started({ version: "12.0" });
    sandbox.addToChannel(seed.channels.offTopic.id, seed.bot.user.id);
    const client = new MattermostClient({ url: sandbox.url, token: seed.bot.token });
    const warnings: string[] = [];
    const post = await sendAsBot(
      client,
      { channel: "off-topic" },
      { text: "deploy done", username: "monitor" },
      { warn: (message) => warnings.push(message) },
    );
    expect(post.props?.override_username).toBe("monitor");
    expect(warnings).toEqual([]);
  });

  it("a running bot on a user's token logs it once for many answers on 12.0, never on 11.10", async () => {
    for (const [version, expected] of [
      ["11.10", 0],
      ["12.0", 1],
    ] as const) {
      const { logger, lines } = capturing();
      h = await startHarness({
        sandbox: { version },
        bot: (sandbox, seed) => ({
          logger,
          // a bot run with a person's personal access token (as some installs do)
          token: sandbox.createAccessToken(seed.users.admin.user.id),
        }),
        setup: (bot) =>
          void bot.command("as", (ctx) =>
            ctx.reply({ text: "from the monitor", props: { override_username: "monitor" } }),
          ),
      });
      const admin = h.seed.users.admin.user.id;
      for (let i = 0; i < 2; i++) {
        const post = h.say("alice", h.seed.channels.ops.id, "@admin as");
        await h.sandbox.waitForPost((p) => p.user_id === admin && p.root_id === post.id);
      }
      const said = lines.filter((l) => l.msg.startsWith("override_username: will not show"));
      expect(said, version).toHaveLength(expected);
      if (expected) expect(said[0]).toMatchObject({ prop: "override_username", version: "12.0.0" });
      await h.close();
      h = undefined;
    }
  });
});
