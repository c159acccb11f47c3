// `mmbot start` (a real child process) stopped and started again in the same directory: the
// sandbox's world is kept in data/sandbox.db, so the conversation and the todo lists go on.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, runCli, until } from "../helpers/cli.js";

interface Running {
  url: string;
  stdout: () => string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

async function startCli(cwd: string, args: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, [CLI, "start", ...args], {
    cwd,
    env: { PATH: process.env.PATH, MMBOT_SANDBOX_PORT: "0", MMBOT_LOG_LEVEL: "warn" },
  });
  running.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => (running.delete(child), resolve(code))),
  );
  const url = await until(
    () => /sandbox Mattermost running at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1],
    `the sandbox line (stderr: ${stderr})`,
  );
  await until(
    () => (stdout.includes("@todobot connected to") ? true : undefined),
    "the connected line",
  );
  return { url, stdout: () => stdout, child, exited };
}

/** The REST API as a user with this token. */
const client =
  (url: string, token: string) => async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/api/v4${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };

async function login(url: string, username: string): Promise<string> {
  const response = await fetch(`${url}/api/v4/users/login`, {
    method: "POST",
    body: JSON.stringify({ login_id: username, password: `sandbox-${username}` }),
  });
  return response.headers.get("token")!;
}

type Api = ReturnType<typeof client>;
interface WirePost {
  id: string;
  user_id: string;
  root_id: string;
  message: string;
  props: { attachments?: unknown[] };
}

/** Posts and waits for the bot's reply in the thread. */
async function ask(api: Api, channelId: string, message: string): Promise<string> {
  const post = (await api("POST", "/posts", { channel_id: channelId, message })).body as WirePost;
  const reply = await until(async () => {
    const thread = (await api("GET", `/posts/${post.id}/thread`)).body as {
      posts: Record<string, WirePost>;
    };
    return Object.values(thread.posts).find((p) => p.root_id === post.id);
  }, `the bot's reply to "${message}"`);
  return reply.message;
}

const stop = async (run: Running) => {
  run.child.kill("SIGTERM");
  expect(await run.exited).toBe(0);
};

describe("mmbot start keeps the sandbox across restarts", () => {
  afterEach(() => {
    for (const child of running) child.kill("SIGKILL");
  });

  it("keeps users, tokens, channels and posts: a todo added before the restart is listed after it, and old buttons still work", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-restart-"));
    const first = await startCli(cwd);
    expect(first.stdout()).toContain("a new world, kept in data/sandbox.db");
    const token = await login(first.url, "alice");
    let alice = client(first.url, token);
    const ops = (await alice("GET", "/teams/name/acme/channels/name/ops")).body as { id: string };
    expect(await ask(alice, ops.id, "@todobot add buy milk")).toBe("Added #1: buy milk");
    expect(
      (await alice("POST", "/commands/execute", { channel_id: ops.id, command: "/todo list" }))
        .status,
    ).toBe(200);
    const listPost = await until(async () => {
      const page = (await alice("GET", `/channels/${ops.id}/posts`)).body as {
        posts: Record<string, WirePost>;
      };
      return Object.values(page.posts).find((p) => (p.props.attachments?.length ?? 0) > 0);
    }, "the list with buttons");
    const firstAdmin = client(first.url, await login(first.url, "admin"));
    const acme = (await firstAdmin("GET", "/teams/name/acme")).body as { id: string };
    const [command] = (await firstAdmin("GET", `/commands?team_id=${acme.id}&custom_only=true`))
      .body as Array<{ url: string }>;
    await stop(first);
    expect(existsSync(join(cwd, "data", "sandbox.db"))).toBe(true);

    // the bot's last address is taken meanwhile: it gets another, and the kept integrations follow
    const squatter = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen(Number(new URL(command!.url).port), "127.0.0.1", resolve),
    );
    const second = await startCli(cwd).finally(() => squatter.close());
    expect(second.stdout()).toContain("the world kept in data/sandbox.db");
    alice = client(second.url, token); // alice's login session of the first run
    expect((await alice("GET", "/users/me")).body.username).toBe("alice");
    expect((await alice("GET", "/teams/name/acme/channels/name/ops")).body.id).toBe(ops.id);
    expect(await ask(alice, ops.id, "@todobot list")).toContain("buy milk");

    // the /todo command and the webhook were pointed to the bot's address, not registered again
    const admin = client(second.url, await login(second.url, "admin"));
    const team = (await admin("GET", "/teams/name/acme")).body as { id: string };
    const commands = (await admin("GET", `/commands?team_id=${team.id}&custom_only=true`))
      .body as Array<{ trigger: string; url: string }>;
    expect(commands.map((c) => c.trigger)).toEqual(["todo"]);
    expect(commands[0]!.url).not.toBe(command!.url);
    const slash = await alice("POST", "/commands/execute", {
      channel_id: ops.id,
      command: "/todo help",
    });
    expect(slash.body.text).toMatch(/To-do list commands/);
    expect((await admin("GET", `/hooks/outgoing?team_id=${team.id}`)).body).toHaveLength(1);
    // the Done button of the list posted before the restart: signed with the secret the bot keeps
    const click = await alice("POST", `/posts/${listPost.id}/actions/tododone1`, {});
    expect(click.status).toBe(200);
    const done = await until(async () => {
      const post = (await alice("GET", `/posts/${listPost.id}`)).body as WirePost;
      return post.message.includes("1 done") ? post : undefined;
    }, "the list redrawn with the item done");
    expect(done.message).toContain("~~buy milk~~");

    // a crash a moment after a change loses nothing the user saw
    await new Promise((r) => setTimeout(r, 600));
    second.child.kill("SIGKILL");
    await second.exited;
    const third = await startCli(cwd);
    alice = client(third.url, token);
    expect(((await alice("GET", `/posts/${listPost.id}`)).body as WirePost).message).toContain(
      "1 done",
    );
    await stop(third);

    // --fresh: an empty sandbox (new ids, the old tokens refused)
    const fresh = await startCli(cwd, ["--fresh"]);
    expect(fresh.stdout()).toContain("a new world, kept in data/sandbox.db");
    expect((await client(fresh.url, token)("GET", "/users/me")).status).toBe(401);
    const freshAlice = client(fresh.url, await login(fresh.url, "alice"));
    const freshOps = (await freshAlice("GET", "/teams/name/acme/channels/name/ops")).body as {
      id: string;
    };
    expect(freshOps.id).not.toBe(ops.id);
    const posts = (await freshAlice("GET", `/channels/${freshOps.id}/posts`)).body as {
      order: string[];
    };
    expect(posts.order).toEqual([]);
    await stop(fresh);
  });

  it("refuses a world file it cannot read, naming the file, --fresh and sandbox.data", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "mmbot-restart-"));
    mkdirSync(join(cwd, "world"));
    writeFileSync(join(cwd, "world", "other.db"), "not a database at all ".repeat(50));
    const result = await runCli(["start"], {
      cwd,
      env: { MMBOT_SANDBOX_PORT: "0", MMBOT_SANDBOX_DATA: "world/other.db" },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "the sandbox's world file world/other.db: not a sandbox world file",
    );
    expect(result.stderr).toContain('Start empty with "npm start -- --fresh"');
    expect(result.stderr).toContain("sandbox.data (env MMBOT_SANDBOX_DATA)");
  });
});
