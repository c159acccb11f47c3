// The container image as an operator runs it: built with podman from the Dockerfile, started
// against a sandbox on the host network, answering a user; its health check, its non-root user,
// its volume and its shutdown on SIGTERM. The base image is MMBOT_CONTAINER_BASE (e.g.
// node:20-bookworm-slim where registries are reachable) or mmbot-base:local, made once by
// scripts/container-base.sh and reused; the build reuses podman's layer cache.
import { execFile, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Post } from "../../src/mattermost/types.js";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { freshPostgres } from "../helpers/databases.js";
import { freePort } from "../helpers/ports.js";

const ROOT = new URL("../..", import.meta.url).pathname;
const LOCAL_BASE = "mmbot-base:local";
// Debian's podman runs here with runc (crun is not usable on these machines)
const RUNTIME = existsSync("/usr/sbin/runc") ? ["--runtime", "/usr/sbin/runc"] : [];
const run = promisify(execFile);

function podman(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  return run("podman", [...RUNTIME, ...args], {
    cwd: ROOT,
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
}

function commandWorks(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "ignore" }).status === 0;
}

/** Why the suite cannot run here, or undefined when it can. */
function unavailable(): string | undefined {
  if (!commandWorks("podman", ["--version"])) return "podman not installed";
  if (process.env.MMBOT_CONTAINER_BASE) return undefined;
  if (commandWorks("podman", [...RUNTIME, "image", "exists", LOCAL_BASE])) return undefined;
  if (process.getuid?.() !== 0 || !commandWorks("debootstrap", ["--version"]))
    return `no base image: ${LOCAL_BASE} is made by root with debootstrap (scripts/container-base.sh), or set MMBOT_CONTAINER_BASE`;
  return undefined;
}

const skipReason = unavailable();

describe.skipIf(skipReason !== undefined)(
  `the container image${skipReason ? ` (skipped: ${skipReason})` : ""}`,
  () => {
    const suffix = randomBytes(4).toString("hex");
    const volume = `mmbot-test-data-${suffix}`;
    const image = `mmbot:test-${suffix}`; // a run's own tag: runs of other checkouts may build at once
    const containers: string[] = [];
    let sandbox: Sandbox;
    let seed: SeedResult;

    beforeAll(async () => {
      const base = process.env.MMBOT_CONTAINER_BASE ?? LOCAL_BASE;
      if (base === LOCAL_BASE)
        await run("sh", ["scripts/container-base.sh", LOCAL_BASE], {
          cwd: ROOT,
          timeout: 15 * 60_000,
          env: { ...process.env, PODMAN: ["podman", ...RUNTIME].join(" ") },
        });
      // --format docker keeps the HEALTHCHECK (the OCI format has none)
      await podman(
        [
          "build",
          "--format",
          "docker",
          "--network",
          "host",
          "--build-arg",
          `BASE=${base}`,
          "-t",
          image,
          ".",
        ],
        15 * 60_000,
      );
      sandbox = await Sandbox.start();
      seed = sandbox.seed();
    }, 30 * 60_000);

    afterAll(async () => {
      for (const name of containers)
        await podman(["rm", "-f", "-t", "0", name]).catch(() => undefined);
      await podman(["volume", "rm", "-f", volume]).catch(() => undefined);
      await podman(["rmi", image]).catch(() => undefined); // the layers stay cached for the next run
      await sandbox?.close();
    }, 60_000);

    /** Starts the image as `mmbot start` against the sandbox; resolves once the bot is connected. */
    async function startContainer(extraEnv: Record<string, string> = {}): Promise<string> {
      const name = `mmbot-test-${suffix}-${containers.length}`;
      containers.push(name);
      const port = await freePort();
      const env = {
        MATTERMOST_URL: sandbox.url,
        MATTERMOST_BOT_TOKEN: seed.bot.token,
        MMBOT_POLICY_ALLOWED_USERS: "*",
        MMBOT_HTTP_LISTEN: `127.0.0.1:${port}`, // the host's network: the image's 8080 may be taken
        ...extraEnv,
      };
      const envArgs = Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
      await podman([
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "host",
        "-v",
        `${volume}:/srv/mmbot/data`,
        ...envArgs,
        image,
      ]);
      const deadline = Date.now() + 20_000;
      while (!(await podman(["logs", name])).stdout.includes("connected to")) {
        if (Date.now() > deadline)
          throw new Error(
            `the container did not connect:\n${(await podman(["logs", name])).stderr}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return name;
    }

    async function ask(message: string): Promise<Post> {
      const post = sandbox.post(seed.users.alice.user.id, {
        channel_id: seed.channels.townSquare.id,
        message,
      });
      return sandbox.waitForPost((p) => p.user_id === seed.bot.user.id && p.root_id === post.id, {
        timeoutMs: 10_000,
      });
    }

    it("answers a user, reports healthy, runs as a non-root user and stops cleanly on SIGTERM", async () => {
      const name = await startContainer();
      expect((await ask("@todobot add buy milk")).message).toBe("Added #1: buy milk");

      await podman(["healthcheck", "run", name]); // rejects when the check fails
      expect(
        (await podman(["inspect", "--format", "{{.State.Health.Status}}", name])).stdout.trim(),
      ).toBe("healthy");
      expect((await podman(["exec", name, "id", "-u"])).stdout.trim()).not.toBe("0");

      const stopping = Date.now();
      await podman(["stop", "-t", "10", name]);
      expect(Date.now() - stopping).toBeLessThan(8_000); // handled SIGTERM, not killed after the grace period
      expect(
        (await podman(["inspect", "--format", "{{.State.ExitCode}}", name])).stdout.trim(),
      ).toBe("0");
    }, 60_000);

    it("keeps its store on the data volume: a new container has the list", async () => {
      const name = await startContainer();
      expect((await ask("@todobot list")).message).toContain("buy milk");
      await podman(["stop", "-t", "10", name]);
    }, 60_000);

    const postgresUrl = process.env.TEST_DATABASE_URL;
    describe.skipIf(!postgresUrl)(
      `on PostgreSQL, as compose.yaml runs it${postgresUrl ? "" : " (skipped: set TEST_DATABASE_URL)"}`,
      () => {
        it("keeps its state in the database of DATABASE_URL", async () => {
          const database = await freshPostgres(postgresUrl!);
          try {
            const name = await startContainer({ DATABASE_URL: database.url });
            // a fresh list: the SQLite store on the volume already has an item #1
            expect((await ask("@todobot add ship it")).message).toBe("Added #1: ship it");
            await podman(["stop", "-t", "10", name]);
            const client = new pg.Client({ connectionString: database.url });
            await client.connect();
            const rows = await client.query<{ text: string }>("select text from todo_items");
            await client.end();
            expect(rows.rows.map((row) => row.text)).toEqual(["ship it"]);
          } finally {
            await database.drop();
          }
        }, 60_000);
      },
    );

    it("is unhealthy, saying why, when there is no [http] to ask", async () => {
      // MMBOT_HTTP_LISTEN empty = unset: no [http] section
      const result = await podman([
        "run",
        "--rm",
        "-e",
        "MMBOT_HTTP_LISTEN=",
        "--entrypoint",
        "node",
        image,
        "/opt/mmbot/dist/service/healthcheck.js",
      ]).then(
        () => ({ code: 0, stderr: "" }),
        (error: { code: number; stderr: string }) => error,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("no [http] section");
    }, 60_000);
  },
);
