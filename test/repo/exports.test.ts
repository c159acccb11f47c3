/**
 * The package's public surface, as a user imports it (by name, through the exports map of the
 * built package): the library at the root, the apps and the sandbox at their subpaths, and
 * neither the apps nor the service's configuration in the root.
 */
import { describe, expect, it } from "vitest";

describe("the exports map", () => {
  it("gives the library at the root, and nothing of the service or the apps", async () => {
    const root = (await import("mmbot")) as Record<string, unknown>;
    for (const name of [
      "Bot",
      "Composer",
      "App",
      "WebSocketSource",
      "HttpSource",
      "PollingSource",
      "AutoSource",
      "button",
      "select",
      "MattermostClient",
      "openStore",
      "HandlerError",
      "MessageContext",
      "ActionContext",
    ]) {
      expect(typeof root[name], name).toBe("function");
    }
    for (const name of ["todoApp", "todo", "bridgeApp", "bridge", "loadConfig", "TodoService"])
      expect(root[name], name).toBeUndefined();
  });

  it("gives the metrics at their own path, not at the root (a bot without them does not load prom-client)", async () => {
    const root = (await import("mmbot")) as Record<string, unknown>;
    const metricsModule = (await import("mmbot/metrics")) as Record<string, unknown>;
    for (const name of ["BotMetrics", "MetricsListener", "metricsRequestHandler", "metricsOf"]) {
      expect(typeof metricsModule[name], name).toBe("function");
      expect(root[name], name).toBeUndefined();
    }
  });

  it("gives the apps and the sandbox at their own paths", async () => {
    const todoModule = (await import("mmbot/apps/todo")) as Record<string, unknown>;
    const bridgeModule = (await import("mmbot/apps/bridge")) as Record<string, unknown>;
    const sandboxModule = (await import("mmbot/sandbox")) as Record<string, unknown>;
    expect(typeof todoModule.todo).toBe("function");
    expect(typeof bridgeModule.bridge).toBe("function");
    expect(typeof sandboxModule.Sandbox).toBe("function");
  });
});
