// The `mmbot` command as a user runs it: a real child process (dist/service/cli/main.js, built by `npm test`).
import { spawn } from "node:child_process";

export const CLI = new URL("../../dist/service/cli/main.js", import.meta.url).pathname;

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `mmbot <args>` to completion in `cwd`, with only the given environment on top of PATH; `input` is its stdin. */
export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; input?: string },
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH, MMBOT_LOG_LEVEL: "warn", ...options.env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    if (options.input !== undefined) child.stdin.end(options.input);
  });
}

/** Polls `probe` until it gives a value (not undefined); throws naming `what` after `timeoutMs`. */
export async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A post as the helpers below read it from the server. */
export interface ThreadPost {
  id: string;
  message: string;
  root_id: string;
  props?: { attachments?: { actions?: { id: string; name: string }[] }[] };
}

/**
 * alice of a running sandbox, over the API as a person's client: logs in, posts `message` in
 * ~town-square and waits for the bot's reply in its thread that matches `expected` (answers
 * stream in edits). Returns the reply and alice's request headers.
 */
export async function askAsAlice(
  url: string,
  message: string,
  expected: RegExp = /(?:)/,
): Promise<{ reply: ThreadPost; headers: Record<string, string> }> {
  const login = await fetch(`${url}/api/v4/users/login`, {
    method: "POST",
    body: JSON.stringify({ login_id: "alice", password: "sandbox-alice" }),
  });
  const headers = { Authorization: `Bearer ${login.headers.get("token")}` };
  const channel = (await (
    await fetch(`${url}/api/v4/teams/name/acme/channels/name/town-square`, { headers })
  ).json()) as { id: string };
  const question = (await (
    await fetch(`${url}/api/v4/posts`, {
      method: "POST",
      headers,
      body: JSON.stringify({ channel_id: channel.id, message }),
    })
  ).json()) as { id: string };
  const reply = await until(async () => {
    const thread = (await (
      await fetch(`${url}/api/v4/posts/${question.id}/thread`, { headers })
    ).json()) as { posts: Record<string, ThreadPost> };
    return Object.values(thread.posts).find(
      (p) => p.root_id === question.id && expected.test(p.message),
    );
  }, `a reply matching ${expected}`);
  return { reply, headers };
}
