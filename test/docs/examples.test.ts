// The code the README and docs/getting-started.md show runs as it is. Each block marked
// `<!-- include: examples/… -->` is that file, word for word; the files then run as a user runs
// them: in a project of their own (a temporary directory) where `npm install <the clone>` put
// mmbot as node_modules/mmbot (npm makes that a symlink to the clone, as here), compiled by
// esbuild as `npx tsx` does (tsx is esbuild), against the sandbox they start; the test of
// getting-started runs under vitest in that project. The quick start's `npm start` is the CLI
// from dist run in a temporary directory (running `npm start` itself would write data/ into the
// clone other test runs read).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { askAsAlice as ask, CLI, runCli, until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
});

/** The blocks of `file` that say which example they are, with that example's path. */
function includes(file: string): { path: string; code: string }[] {
  const text = readFileSync(join(ROOT, file), "utf8");
  return [...text.matchAll(/<!-- include: (\S+) -->\n```ts\n([\s\S]*?)```/g)].map((m) => ({
    path: m[1]!,
    code: m[2]!,
  }));
}

/** A project of the user's: package.json, node_modules/mmbot (the clone), vitest for its tests. */
function userProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "mmbot-first-bot-"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module", private: true }));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT.replace(/\/$/, ""), join(dir, "node_modules", "mmbot"));
  symlinkSync(join(ROOT, "node_modules", "vitest"), join(dir, "node_modules", "vitest"));
  return dir;
}

/** `example` (a path under examples/) copied into `dir` as the user has it, and compiled as tsx would. */
async function place(dir: string, example: string, as: string): Promise<string> {
  const target = join(dir, as);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, readFileSync(join(ROOT, example)));
  const out = target.replace(/\.ts$/, ".js");
  await build({
    entryPoints: [target],
    outfile: out,
    format: "esm",
    platform: "node",
    logLevel: "silent",
  });
  return out;
}

/** Runs `script` in `dir` until it prints the sandbox's address (its "Open http://…" line). */
async function runUntilOpen(dir: string, script: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [script], {
    cwd: dir,
    env: { PATH: process.env.PATH, ...env },
  });
  children.add(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return until(
    () => /Open (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1],
    `the Open line (output: ${out})`,
    20_000,
  );
}

describe("the code the docs show", () => {
  it("each included block is its file, word for word, and every ts block of the README and getting-started is one", () => {
    for (const doc of ["README.md", "docs/getting-started.md"]) {
      const text = readFileSync(join(ROOT, doc), "utf8");
      const blocks = (text.match(/^```ts$/gm) ?? []).length;
      const included = includes(doc);
      expect(included.length, `${doc}: ts blocks that are not an included example`).toBe(blocks);
      for (const { path, code } of included)
        expect(code, `${doc} shows ${path}`).toBe(readFileSync(join(ROOT, path), "utf8"));
    }
    expect(includes("README.md").map((i) => i.path)).toEqual(["examples/hello.ts"]);
  });

  it("the README's own bot (examples/hello.ts) starts its sandbox and answers @todobot ping", async () => {
    const dir = userProject();
    const url = await runUntilOpen(dir, await place(dir, "examples/hello.ts", "hello.ts"));
    expect((await ask(url, "@todobot ping", /./)).reply.message).toBe("pong");
    expect((await ask(url, "@todobot hi there", /./)).reply.message).toBe("You said: hi there");
  });

  it("getting-started's bot (examples/first-bot/main.ts): a command and a button that a click updates", async () => {
    const dir = userProject();
    await place(dir, "examples/first-bot/bot.ts", "bot.ts");
    const main = await place(dir, "examples/first-bot/main.ts", "main.ts");
    const url = await runUntilOpen(dir, main, { BOT_LISTEN: `127.0.0.1:${await freePort()}` });
    expect((await ask(url, "@todobot ping", /./)).reply.message).toBe("pong");
    const { reply, headers } = await ask(url, "@todobot lunch", /Lunch/);
    expect(reply.props?.attachments?.[0]?.actions?.map((a) => a.name)).toEqual(["Yes", "No"]);
    const yes = reply.props!.attachments![0]!.actions![0]!.id;
    const click = await fetch(`${url}/api/v4/posts/${reply.id}/actions/${yes}`, {
      method: "POST",
      headers,
      body: "{}",
    });
    expect(click.status).toBe(200);
    await until(async () => {
      const post = (await (await fetch(`${url}/api/v4/posts/${reply.id}`, { headers })).json()) as {
        message: string;
      };
      return post.message === "Lunch at noon? @alice says yes" ? true : undefined;
    }, "the updated post");
  });

  it("getting-started's test (examples/first-bot/bot.test.ts) passes under vitest in the user's project", async () => {
    const dir = userProject();
    for (const file of ["bot.ts", "bot.test.ts"]) {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, file), readFileSync(join(ROOT, "examples/first-bot", file)));
    }
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [join(dir, "node_modules/vitest/vitest.mjs"), "run", "--root", dir],
        {
          cwd: dir,
          env: { PATH: process.env.PATH, CI: "1", NO_COLOR: "1" },
        },
      );
      children.add(child);
      let out = "";
      child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
      child.on("close", (code) => resolve({ code, out }));
    });
    expect(result.out).toMatch(/Tests\s+2 passed/);
    expect(result.code, result.out).toBe(0);
  }, 60_000);

  it("the quick start: npm start's command, with nothing configured, in a fresh directory: the sandbox, and a message answered", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.start).toBe("node dist/service/cli/main.js start"); // what the README's npm start runs
    expect(pkg.scripts.prepare).toBe("npm run build"); // npm install builds dist
    const child = spawn(process.execPath, [CLI, "start"], {
      cwd: mkdtempSync(join(tmpdir(), "mmbot-quick-start-")),
      env: { PATH: process.env.PATH, MMBOT_SANDBOX_PORT: "0" },
    });
    children.add(child);
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const url = await until(
      () =>
        out.includes("Press Ctrl-C") ? /running at (http:\/\/[\d.:]+)/.exec(out)?.[1] : undefined,
      "the banner",
      20_000,
    );
    expect(out).toContain("npx mmbot chat"); // the README's "talk to it"
    expect((await ask(url, "@todobot add buy milk", /./)).reply.message).toBe("Added #1: buy milk");
    void runCli; // doctor against it: test/cli/cli.test.ts
  });
});
