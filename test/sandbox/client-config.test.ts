/**
 * `GET /config/client?format=old` as the 5.37 server answers it (api4/config.go): strings only,
 * `MaxPostSize` for a session, the limited map without one, 501 without `format`, 400 with another;
 * and the client's `maxPostSize()` reading it once, falling back to 16383 when it cannot.
 */
import { afterEach, describe, expect, it } from "vitest";
import { MattermostClient } from "../../src/mattermost/rest.js";
import { Sandbox, type SandboxVersion } from "../../src/sandbox/index.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function started(options: { maxPostSize?: number; version?: SandboxVersion } = {}) {
  const sandbox = await Sandbox.start(options);
  cleanups.push(() => sandbox.close());
  return { sandbox, seed: sandbox.seed() };
}

const get = (sandbox: Sandbox, query: string, token?: string) =>
  fetch(`${sandbox.url}/api/v4/config/client${query}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });

describe("GET /config/client", () => {
  // model.CurrentVersion (server/public/model/version.go) is the config's Version; MaxPostSize
  // is PostMessageMaxRunesV2 (65535 / 4) on every version (server/public/model/post.go)
  it.each([
    ["5.37", "5.37.0"],
    ["10.11", "10.11.0"],
    ["11.10", "11.10.0"],
    ["12.0", "12.0.0"],
  ] as const)(
    "answers a session with the full client config, every value a string, MaxPostSize 16383 by default (%s)",
    async (version, full) => {
      const { sandbox, seed } = await started({ version });
      const response = await get(sandbox, "?format=old", seed.bot.token);
      expect(response.status).toBe(200);
      const config = (await response.json()) as Record<string, unknown>;
      expect(config).toMatchObject({
        MaxPostSize: "16383",
        Version: full,
        SiteURL: sandbox.url,
        NoAccounts: "false",
      });
      expect(Object.values(config).every((v) => typeof v === "string")).toBe(true);
    },
  );

  it("answers without a session (or with an unknown token) with the limited config: no MaxPostSize", async () => {
    const { sandbox } = await started({ version: "5.37" });
    for (const token of [undefined, "not-a-token"]) {
      const response = await get(sandbox, "?format=old", token);
      expect(response.status).toBe(200);
      const config = (await response.json()) as Record<string, string>;
      expect(config.Version).toBe("5.37.0");
      expect(config).not.toHaveProperty("MaxPostSize");
    }
  });

  it("refuses the new format (501) and an unknown one (400), as the server does", async () => {
    const { sandbox, seed } = await started();
    const none = await get(sandbox, "", seed.bot.token);
    expect(none.status).toBe(501);
    expect(await none.json()).toMatchObject({
      id: "api.config.client.old_format.app_error",
      message: expect.stringMatching(/specify format=old/),
      status_code: 501,
    });
    const other = await get(sandbox, "?format=new", seed.bot.token);
    expect(other.status).toBe(400);
    // as a real 5.37 says it (fixtures/rest/config-client-bad-format.json): "in request body"
    expect(await other.json()).toMatchObject({
      id: "api.context.invalid_body_param.app_error",
      message: "Invalid or missing format in request body.",
    });
  });

  it("says the configured MaxPostSize and takes no longer message", async () => {
    const { sandbox, seed } = await started({ maxPostSize: 2_000 });
    const config = (await (await get(sandbox, "?format=old", seed.bot.token)).json()) as Record<
      string,
      string
    >;
    expect(config.MaxPostSize).toBe("2000");
    const client = new MattermostClient({ url: sandbox.url, token: seed.bot.token });
    const channel = seed.channels.townSquare.id;
    await expect(
      client.createPost({ channel_id: channel, message: "é".repeat(2_000) }),
    ).resolves.toMatchObject({ message: "é".repeat(2_000) });
    await expect(
      client.createPost({ channel_id: channel, message: "x".repeat(2_001) }),
    ).rejects.toMatchObject({ status: 400 });
  });
});

describe("MattermostClient.maxPostSize", () => {
  it("reads the server's MaxPostSize once", async () => {
    const { sandbox, seed } = await started({ maxPostSize: 65_535 });
    const client = new MattermostClient({ url: sandbox.url, token: seed.bot.token });
    const before = sandbox.trafficLog().length;
    expect(await Promise.all([client.maxPostSize(), client.maxPostSize()])).toEqual([
      65_535, 65_535,
    ]);
    expect(await client.maxPostSize()).toBe(65_535);
    expect(
      sandbox
        .trafficLog()
        .slice(before)
        .filter((e) => e.url.startsWith("/api/v4/config/client")),
    ).toHaveLength(1);
  });

  it("falls back to 16383 when the server does not answer it", async () => {
    const { sandbox, seed } = await started({ maxPostSize: 65_535 });
    sandbox.faults.failRest({ path: "^/api/v4/config/client$", answer: 500, count: 10 });
    const client = new MattermostClient({
      url: sandbox.url,
      token: seed.bot.token,
      retry: { attempts: 2, baseDelayMs: 10 },
    });
    expect(await client.maxPostSize()).toBe(16_383);
  });
});
