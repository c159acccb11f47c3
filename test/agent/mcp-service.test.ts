/**
 * MCP servers in the service and the library, against the MCP project's reference servers as
 * real processes: `[[agent.mcp]]` read from mmbot.toml (and its mistakes named), `mmbot
 * doctor` listing each server's tools with their policy, a remote server over streamable
 * HTTP, a server that is down (its tools withdrawn, a call told why), and the tool policies.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { McpConnection, globMatches, toolPolicy } from "../../src/apps/agent/index.js";
import { silentLogger } from "../../src/log.js";
import { checkMcpServers } from "../../src/service/agent-check.js";
import { loadConfig } from "../../src/service/config.js";
import { until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";

const MODULES = join(import.meta.dirname, "../../node_modules/@modelcontextprotocol");
const FILESYSTEM_SERVER = join(MODULES, "server-filesystem/dist/index.js");
const EVERYTHING_SERVER = join(MODULES, "server-everything/dist/index.js");
const yes = (condition: boolean) => condition || undefined;

function configFile(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mmbot-mcp-"));
  const path = join(dir, "mmbot.toml");
  writeFileSync(path, content.replaceAll("{dir}", dir));
  return path;
}
const AGENT = `[agent]\nurl = "http://127.0.0.1:8080/v1"\nmodel = "m"\n`;
const node = JSON.stringify(process.execPath);

/** server-everything over streamable HTTP on a free port, as its README runs it. */
async function everythingOverHttp(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING_SERVER, "streamableHttp"], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let said = "";
  child.stderr!.on("data", (c: Buffer) => (said += String(c)));
  child.stdout!.on("data", (c: Buffer) => (said += String(c)));
  await until(() => yes(said.includes("listening on port")), "server-everything listening", 20_000);
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

describe("[[agent.mcp]] in mmbot.toml", () => {
  it("reads local and remote servers with their policies", () => {
    const config = loadConfig({
      path: configFile(
        `${AGENT}approvers = ["carol"]\napproval_timeout_seconds = 30\n[[agent.mcp]]\nname = "fs"\ncommand = "npx"\nargs = ["@modelcontextprotocol/server-filesystem", "/srv"]\nenv = { A = "1" }\n[agent.mcp.tools]\n"read_*" = "allow"\nmove_file = "deny"\n[[agent.mcp]]\nname = "remote"\nurl = "https://mcp.example.com/mcp"\nheaders = { Authorization = "Bearer x" }\npolicy = "ask"\n`,
      ),
      env: {},
    });
    expect(config.agent).toMatchObject({
      approvers: ["carol"],
      approval_timeout_seconds: 30,
      mcp: [
        {
          name: "fs",
          command: "npx",
          args: ["@modelcontextprotocol/server-filesystem", "/srv"],
          env: { A: "1" },
          tools: { "read_*": "allow", move_file: "deny" },
        },
        { name: "remote", url: "https://mcp.example.com/mcp", policy: "ask", args: [] },
      ],
    });
    expect(loadConfig({ path: configFile(AGENT), env: {} }).agent).toMatchObject({
      mcp: [],
      approvers: [],
      approval_timeout_seconds: 600,
      tool_result_max_chars: 65536,
    });
  });

  it("stops the start naming the mistake: neither command nor url, both, a bad name or policy, a name twice", () => {
    const load = (mcp: string) => () => loadConfig({ path: configFile(`${AGENT}${mcp}`), env: {} });
    expect(load(`[[agent.mcp]]\nname = "fs"\n`)).toThrow(
      /agent\.mcp\[0\]\.command is missing: expected command \(a local server\) or url/,
    );
    expect(load(`[[agent.mcp]]\nname = "fs"\ncommand = "x"\nurl = "http://h/mcp"\n`)).toThrow(
      /expected command or url, not both/,
    );
    expect(load(`[[agent.mcp]]\nname = "my server"\ncommand = "x"\n`)).toThrow(
      /agent\.mcp\[0\]\.name = "my server": expected 1 to 30 letters/,
    );
    expect(load(`[[agent.mcp]]\nname = "fs"\ncommand = "x"\npolicy = "maybe"\n`)).toThrow(
      /agent\.mcp\[0\]\.policy = "maybe": expected "allow", "ask" or "deny"/,
    );
    expect(
      load(
        `[[agent.mcp]]\nname = "fs"\ncommand = "x"\n[[agent.mcp]]\nname = "fs"\ncommand = "y"\n`,
      ),
    ).toThrow(/agent\.mcp\[1\]\.name = "fs": expected a name no other/);
  });
});

describe("[[agent.channels]] in mmbot.toml", () => {
  it("reads per-channel modes, and still a list of names; a bad mode is named", () => {
    const tables = loadConfig({
      path: configFile(
        `${AGENT}[[agent.channels]]\nchannel = "support"\nmode = "root_posts"\nsystem_prompt = "Be kind."\nmodel = "big"\nallowed_users = ["alice"]\n[[agent.channels]]\nchannel = "dm"\n`,
      ),
      env: {},
    }).agent!.channels;
    expect(tables).toEqual([
      {
        channel: "support",
        mode: "root_posts",
        system_prompt: "Be kind.",
        model: "big",
        allowed_users: ["alice"],
      },
      { channel: "dm", mode: "mention" },
    ]);
    expect(
      loadConfig({ path: configFile(`${AGENT}channels = ["ops"]\n`), env: {} }).agent!.channels,
    ).toEqual(["ops"]);
    expect(() =>
      loadConfig({
        path: configFile(`${AGENT}[[agent.channels]]\nchannel = "ops"\nmode = "always"\n`),
        env: {},
      }),
    ).toThrow(
      /agent\.channels\[0\]\.mode = "always": expected "mention", "threads", "root_posts" or "all"/,
    );
  });

  it("stops the start when a channel names an MCP server that is not declared", () => {
    expect(() =>
      loadConfig({
        path: configFile(
          `${AGENT}[[agent.mcp]]\nname = "fs"\ncommand = "x"\n[[agent.channels]]\nchannel = "ops"\nmcp = ["filesystem"]\n`,
        ),
        env: {},
      }),
    ).toThrow(
      /agent\.channels\[0\]\.mcp names "filesystem", which no \[\[agent\.mcp\]\] server is \(they are: fs\)/,
    );
  });
});

describe("tool policies", () => {
  it("matches globs, an exact name first, then the first pattern written, then the server's policy, then readOnlyHint", () => {
    expect(globMatches("read_*", "read_text_file")).toBe(true);
    expect(globMatches("read_?", "read_ab")).toBe(false);
    expect(globMatches("a.b", "axb")).toBe(false); // the rest is literal
    const server = { tools: { "*_file": "ask" as const, write_file: "deny" as const } };
    expect(toolPolicy(server, { name: "write_file", readOnly: false })).toBe("deny");
    expect(toolPolicy(server, { name: "read_file", readOnly: true })).toBe("ask");
    expect(toolPolicy(server, { name: "list", readOnly: true })).toBe("allow");
    expect(toolPolicy(server, { name: "delete", readOnly: false })).toBe("ask");
    expect(toolPolicy({ policy: "allow" }, { name: "delete", readOnly: false })).toBe("allow");
  });
});

describe("MCP servers, reached", () => {
  let remote: { url: string; child: ChildProcess };
  let folder: string;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), "mmbot-mcp-doctor-"));
    remote = await everythingOverHttp();
  }, 30_000);
  afterAll(() => {
    remote?.child.kill();
  });

  it("mmbot doctor starts or reaches each server and lists its tools with their policy; a broken one says why and what to check", async () => {
    const config = loadConfig({
      path: configFile(
        `${AGENT}[[agent.mcp]]\nname = "fs"\ncommand = ${node}\nargs = [${JSON.stringify(FILESYSTEM_SERVER)}, ${JSON.stringify(folder)}]\n[agent.mcp.tools]\nmove_file = "deny"\n[[agent.mcp]]\nname = "every"\nurl = "${remote.url}"\n[[agent.mcp]]\nname = "broken"\ncommand = ${node}\nargs = ["-e", "console.error('no config here'); process.exit(3)"]\n`,
      ),
      env: {},
    });
    const [fs, every, broken] = await checkMcpServers(config.agent!.mcp, 20_000);
    expect(fs).toMatchObject({ name: "agent-mcp:fs", ok: true });
    expect(fs!.label).toContain("fs__read_text_file (allow)");
    expect(fs!.label).toContain("fs__write_file (ask)");
    expect(fs!.label).toContain("fs__move_file (deny)");
    expect(every).toMatchObject({ name: "agent-mcp:every", ok: true });
    expect(every!.label).toContain(`MCP server every (${remote.url}) lists`);
    expect(every!.label).toContain("every__echo (allow)");
    expect(broken).toMatchObject({ name: "agent-mcp:broken", ok: false });
    expect(broken!.label).toMatch(/did not start: .*no config here/);
    expect(broken!.fix).toMatch(/check agent\.mcp "broken": command, args/);
  }, 60_000);

  it("calls a remote server's tool over streamable HTTP", async () => {
    const connection = new McpConnection({ name: "every", url: remote.url }, silentLogger());
    try {
      await connection.start();
      expect(connection.up).toBe(true);
      const result = await connection.call(
        "echo",
        { message: "over HTTP" },
        new AbortController().signal,
        1000,
      );
      expect(result).toEqual({ text: "Echo: over HTTP", images: [], isError: false });
      const image = await connection.call("get-tiny-image", {}, new AbortController().signal, 1000);
      expect(image.images).toEqual([{ mimeType: "image/png", data: expect.any(String) }]);
      expect(image.text).toMatch(/\[image image\/png, \d+ bytes\]/);
    } finally {
      await connection.close();
    }
  }, 30_000);

  it("lists the tools again when the server says they changed", async () => {
    const connection = new McpConnection(
      {
        name: "grow",
        command: process.execPath,
        args: [join(import.meta.dirname, "../fixtures/mcp/growing-server.mjs")],
      },
      silentLogger(),
    );
    try {
      await connection.start();
      expect(connection.tools.map((t) => t.fullName)).toEqual(["grow__grow"]);
      await connection.call("grow", {}, new AbortController().signal, 1000);
      await until(
        () => yes(connection.tools.some((t) => t.fullName === "grow__extra")),
        "the new tool listed",
        5_000,
      );
      const extra = await connection.call("extra", {}, new AbortController().signal, 1000);
      expect(extra.text).toBe("extra ran");
    } finally {
      await connection.close();
    }
  }, 30_000);

  it("a server that dies offers no tools until it is back, and a call meanwhile is told why", async () => {
    let changes = 0;
    const connection = new McpConnection(
      { name: "fs", command: process.execPath, args: [FILESYSTEM_SERVER, folder] },
      silentLogger(),
      { restartDelayMs: 60_000, onToolsChanged: () => changes++ },
    );
    try {
      await connection.start();
      expect(connection.tools.length).toBeGreaterThan(5);
      const pid = connection.pid!;
      process.kill(pid, "SIGKILL"); // a process this test started, by its id
      await until(() => yes(!connection.up), "the server seen down", 10_000);
      expect(connection.tools).toEqual([]);
      expect(changes).toBe(2); // listed, then withdrawn
      const call = await connection.call(
        "list_allowed_directories",
        {},
        new AbortController().signal,
        1000,
      );
      expect(call.isError).toBe(true);
      expect(call.text).toMatch(
        /^error: the MCP server fs is not running \(.+\); try again later$/,
      );
    } finally {
      await connection.close();
    }
  }, 30_000);
});
