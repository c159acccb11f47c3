// `mmbot start` against a server it cannot use, as a user meets it (real child processes, real
// closed ports, an unresolvable host, plain and TLS servers):
// one readable line per change of cause, with the likely cause and the fix; no stack trace.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli, until } from "../helpers/cli.js";
import { freePort } from "../helpers/ports.js";

const TOKEN = "abcdefghijklmnopqrstuvwxyz"; // well-formed, known to no server
const tempDir = () => mkdtempSync(join(tmpdir(), "mmbot-start-errors-"));
const children = new Set<ChildProcess>();
const servers: { close(): void }[] = [];
const sockets: Socket[] = [];
afterEach(() => {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
});
afterAll(() => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) server.close();
});

/**
 * Starts `mmbot start` against `url` with the pretty log at debug level, waits until it has tried
 * again after its first failure (the debug "still cannot reach" line), and returns its stderr.
 */
async function startUntilRetried(url: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, "start"], {
    cwd: tempDir(),
    env: {
      PATH: process.env.PATH,
      MATTERMOST_URL: url,
      MATTERMOST_BOT_TOKEN: TOKEN,
      MMBOT_POLICY_ALLOWED_USERS: "*",
      MMBOT_LOG_FORMAT: "pretty",
      MMBOT_LOG_LEVEL: "debug",
      NO_COLOR: "1",
    },
  });
  children.add(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await until(
    () => ((stderr.match(/still cannot reach the server/g) ?? []).length >= 2 ? true : undefined),
    `two more attempts (stderr: ${stderr})`,
    30_000,
  );
  child.kill("SIGKILL");
  return stderr;
}

/** The warning lines about reaching the server; asserts there is exactly one and no stack trace. */
function theOneWarning(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => /cannot reach https?:/.test(line));
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m); // no stack trace
  expect(stderr).not.toContain("retrying in"); // the client's per-attempt warnings
  expect(lines[0]).toContain("WARN");
  expect(lines[0]).toContain(
    "fix: check mattermost.url (env MATTERMOST_URL), or run `mmbot doctor`",
  );
  return lines[0]!;
}

async function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  servers.push(server);
  return port;
}

describe("mmbot start, the server cannot be reached", () => {
  let tls: { key: string; cert: string };
  beforeAll(() => {
    const dir = tempDir();
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
      ],
      { stdio: "ignore" },
    );
    tls = {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  });

  it("a closed port: connection refused, said once", async () => {
    const port = await freePort(); // bound and released: nothing listens
    const line = theOneWarning(await startUntilRetried(`http://127.0.0.1:${port}`));
    expect(line).toContain(
      `cannot reach http://127.0.0.1:${port}: connection refused: nothing listens on 127.0.0.1:${port}`,
    );
  });

  it("a host name that does not resolve: DNS", async () => {
    const line = theOneWarning(await startUntilRetried("http://mmbot-nonexistent.invalid"));
    expect(line).toContain("the host name mmbot-nonexistent.invalid is not found (DNS)");
  });

  it("https:// to a plain HTTP server: says to use http://", async () => {
    const port = await listen(createHttpServer((_, res) => res.end("plain")));
    const line = theOneWarning(await startUntilRetried(`https://127.0.0.1:${port}`));
    expect(line).toContain("which answers plain HTTP: the address should start with http://");
  });

  it("http:// to a TLS server: says it may want https://", async () => {
    const port = await listen(createHttpsServer(tls, (_, res) => res.end("tls")));
    const line = theOneWarning(await startUntilRetried(`http://127.0.0.1:${port}`));
    expect(line).toContain("then the address should start with https://");
  });

  it("https:// to a server whose certificate is not trusted: says so, and how to trust a private CA", async () => {
    const port = await listen(createHttpsServer(tls, (_, res) => res.end("tls")));
    const line = theOneWarning(await startUntilRetried(`https://127.0.0.1:${port}`));
    expect(line).toContain(
      `the TLS certificate of 127.0.0.1:${port} is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed, expired, or for another name?); a private CA is trusted with NODE_EXTRA_CA_CERTS=`,
    );
  });

  it("a server that accepts and never answers: timeout", async () => {
    const silent = createNetServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    const line = theOneWarning(await startUntilRetried(`http://127.0.0.1:${port}`));
    expect(line).toContain(`no answer from 127.0.0.1:${port} in time`);
  }, 60_000);

  it("a web server that is not Mattermost: exits with one line saying so", async () => {
    const port = await listen(
      createHttpServer((_, res) => {
        res.statusCode = 404;
        res.end("404 page not found");
      }),
    );
    const result = await runCli(["start"], {
      cwd: tempDir(),
      env: {
        MATTERMOST_URL: `http://127.0.0.1:${port}/mattermost`,
        MATTERMOST_BOT_TOKEN: TOKEN,
        MMBOT_POLICY_ALLOWED_USERS: "*",
        MMBOT_LOG_FORMAT: "pretty",
      },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `mmbot: http://127.0.0.1:${port}/mattermost answered GET /api/v4/users/me with HTTP 404: not a Mattermost server's address`,
    );
    expect(result.stderr).toContain("run `mmbot doctor`");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
// a refused token at start: test/network/token-refused.test.ts (doctor's fix, then `mmbot doctor`)
