// Secrets never reach the log: a full `mmbot start` run at trace level (a real child process)
// with the bot token, a slash token, the action secret, the agent's API key and, on PostgreSQL,
// a database password, through a conversation, a slash command, a forged request, an agent
// failure and a stop. Every line of its output is searched for each secret.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Sandbox } from "../../src/sandbox/index.js";
import { CLI, until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";

const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
});

describe("secrets in the log", () => {
  it("appear nowhere in a full run at trace level", async () => {
    const sandbox = await Sandbox.start();
    try {
      const seed = sandbox.seed();
      const port = await freePort();
      const command = sandbox.createCommand(seed.users.admin.user.id, {
        team_id: seed.team.id,
        trigger: "todo",
        url: `http://127.0.0.1:${port}/slash`,
      });
      const actionSecret = "action-secret-that-must-stay-hidden-0123456789";
      const apiKey = "sk-agent-key-that-must-stay-hidden-0123456789";
      const dbPassword = "db-password-that-must-stay-hidden";
      // trust auth on the test server: the password is sent and accepted, so it is in play
      const pg = process.env.TEST_DATABASE_URL;
      const store = pg
        ? pg.replace("://root@", `://root:${dbPassword}@`)
        : `sqlite:${join(mkdtempSync(join(tmpdir(), "mmbot-secrets-")), "bot.db")}`;
      const deadModel = await freePort(); // nothing listens: the agent's request fails and is logged
      const child = spawn(process.execPath, [CLI, "start"], {
        cwd: mkdtempSync(join(tmpdir(), "mmbot-secrets-cwd-")),
        env: {
          PATH: process.env.PATH,
          MATTERMOST_URL: sandbox.url,
          MATTERMOST_BOT_TOKEN: seed.bot.token,
          DATABASE_URL: store,
          MMBOT_POLICY_ALLOWED_USERS: "*",
          MMBOT_LOG_LEVEL: "trace",
          MMBOT_LOG_FORMAT: "json",
          MMBOT_HTTP_LISTEN: `127.0.0.1:${port}`,
          MMBOT_HTTP_SLASH_TOKENS: command.token,
          MMBOT_HTTP_ACTION_SECRET: actionSecret,
          MMBOT_AGENT_URL: `http://127.0.0.1:${deadModel}/v1`,
          MMBOT_AGENT_MODEL: "test-model",
          MMBOT_AGENT_API_KEY_ENV: "MMBOT_TEST_AGENT_KEY",
          MMBOT_TEST_AGENT_KEY: apiKey,
        },
      });
      children.add(child);
      let output = "";
      child.stdout.on("data", (d: Buffer) => (output += d.toString()));
      child.stderr.on("data", (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      // what it printed instead says why (a database it cannot reach, a port taken...)
      await until(
        () => (output.includes("@todobot connected to") ? true : undefined),
        "the connected line",
        20_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}; its output ends with: ${output.slice(-1_500)}`);
      });

      const alice = seed.users.alice.user.id;
      const ops = seed.channels.ops.id;
      sandbox.addToChannel(ops, seed.bot.user.id);
      // the agent (its endpoint refuses the connection), the todo app by its word, a slash command
      const question = sandbox.post(alice, {
        channel_id: ops,
        message: "@todobot what is the weather?",
      });
      await sandbox.waitForPost(
        (p) => p.user_id === seed.bot.user.id && p.root_id === question.id,
        { timeoutMs: 15_000 },
      );
      const todoPost = sandbox.post(alice, {
        channel_id: ops,
        message: "@todobot todo add buy milk",
      });
      await sandbox.waitForPost(
        (p) => p.user_id === seed.bot.user.id && p.root_id === todoPost.id,
        { timeoutMs: 10_000 },
      );
      await sandbox.runSlashCommand(alice, ops, "/todo list");
      // a forged slash command with a wrong token, and an unsigned click: refused and logged
      await fetch(`http://127.0.0.1:${port}/slash`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: "Token forged-token-value",
        },
        body: "command=%2Ftodo&text=list",
      });
      await fetch(`http://127.0.0.1:${port}/actions/tododone1`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_id: alice, channel_id: ops, post_id: "p", context: {} }),
      });

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(output).toContain('"level":20'); // debug lines were written too: the search covers them
      const secrets = {
        "bot token": seed.bot.token,
        "slash token": command.token,
        "action secret": actionSecret,
        "agent API key": apiKey,
        ...(pg ? { "database password": dbPassword } : {}),
      };
      const leaked = Object.entries(secrets)
        .filter(([, secret]) => output.includes(secret))
        .map(([name]) => name);
      expect(leaked).toEqual([]);
    } finally {
      await sandbox.close();
    }
  }, 60_000);
});
