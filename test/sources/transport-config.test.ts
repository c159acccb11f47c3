/** `mattermost.transport` and `mattermost.polling_interval_ms`: read, checked, and wired to the source `mmbot start` uses. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/service/config.js";
import { runDoctor } from "../../src/service/doctor-checks.js";
import { Sandbox } from "../../src/sandbox/index.js";
import { mattermostSource } from "../../src/service/bot-from-config.js";
import { AutoSource } from "../../src/sources/auto.js";
import { PollingSource } from "../../src/sources/polling.js";
import { WebSocketSource } from "../../src/sources/websocket.js";

const load = (env: NodeJS.ProcessEnv) => loadConfig({ path: "/nonexistent/mmbot.toml", env });

describe("mattermost.transport", () => {
  it("defaults to auto every 2000 ms", () => {
    const { mattermost } = load({});
    expect(mattermost).toMatchObject({ transport: "auto", polling_interval_ms: 2000 });
    expect(mattermostSource(mattermost)).toBeInstanceOf(AutoSource);
  });

  it("is set by the environment, and picks the source", () => {
    const polling = load({
      MATTERMOST_TRANSPORT: "polling",
      MATTERMOST_POLLING_INTERVAL_MS: "500",
    }).mattermost;
    expect(polling).toMatchObject({ transport: "polling", polling_interval_ms: 500 });
    expect(mattermostSource(polling)).toBeInstanceOf(PollingSource);
    expect(
      mattermostSource(load({ MMBOT_MATTERMOST_TRANSPORT: "websocket" }).mattermost),
    ).toBeInstanceOf(WebSocketSource);
  });

  it("names the key, the variable and an example for a bad value", () => {
    expect(() => load({ MATTERMOST_TRANSPORT: "sse" })).toThrow(
      /environment variable MATTERMOST_TRANSPORT: mattermost\.transport = "sse".*\n  example: transport = "polling"/s,
    );
    expect(() => load({ MATTERMOST_POLLING_INTERVAL_MS: "10" })).toThrow(
      /mattermost\.polling_interval_ms = "10".*200.*\n  example: polling_interval_ms = 2000/s,
    );
  });
});

describe("mmbot doctor and the transport", () => {
  it("with WebSocket upgrades refused: the WebSocket check fails for websocket, warns for auto, is not made for polling", async () => {
    const sandbox = await Sandbox.start();
    try {
      const seed = sandbox.seed();
      sandbox.setWebSocketAvailable(false);
      const target = { url: sandbox.url, token: seed.bot.token, origin: "test" };
      const run = async (transport: string) => {
        const lines: string[] = [];
        const config = load({
          MATTERMOST_TRANSPORT: transport,
          MMBOT_POLICY_ALLOWED_USERS: "*",
          DATABASE_URL: "sqlite::memory:",
        });
        await runDoctor(config, target, (line) => lines.push(line));
        return { text: lines.join("\n") };
      };
      const websocket = await run("websocket");
      expect(websocket.text).toMatch(/✗ the WebSocket .* did not accept the token: HTTP 503/);
      const auto = await run("auto");
      expect(auto.text).toMatch(
        /! the WebSocket .* HTTP 503\n {4}fix: .*mattermost\.transport = "auto" polls every 2000 ms/,
      );
      expect(auto.text).not.toMatch(/✗ the WebSocket/);
      const polling = await run("polling");
      expect(polling.text).toContain(
        '✓ mattermost.transport = "polling": the bot polls every 2000 ms',
      );
      expect(polling.text).not.toMatch(/the WebSocket/);
    } finally {
      await sandbox.close();
    }
  });
});
