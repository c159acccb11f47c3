/**
 * The container's health check (the image's HEALTHCHECK): `GET /healthz` on the bot's HTTP
 * receiver, at the `http.listen` of the configuration `mmbot start` reads (mmbot.toml in the
 * working directory or `--config`, then the environment). Exit 0 when it answers 200; else 1
 * and one line saying why. The image enables `[http]` (MMBOT_HTTP_LISTEN=0.0.0.0:8080), so there
 * is always a receiver to ask.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "./config.js";

const TIMEOUT_MS = 3_000;

/** `http://host:port/healthz` for a `host:port` listen address; an any-address listen is asked on loopback. */
function healthUrl(listen: string): string {
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at);
  const port = listen.slice(at + 1);
  const reachable = host === "0.0.0.0" || host === "[::]" || host === "" ? "127.0.0.1" : host;
  return `http://${reachable}:${port}/healthz`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { config: { type: "string" } } });
  const config = loadConfig({
    path: values.config ?? "mmbot.toml",
    explicitPath: values.config !== undefined,
  });
  if (!config.http) {
    console.error(
      "unhealthy: no [http] section, so no /healthz to ask; set http.listen (env MMBOT_HTTP_LISTEN, e.g. 0.0.0.0:8080)",
    );
    return 1;
  }
  const url = healthUrl(config.http.listen);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (response.ok) return 0;
    console.error(`unhealthy: ${url} answered ${response.status}`);
  } catch (error) {
    console.error(
      `unhealthy: ${url}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`,
    );
  }
  return 1;
}

process.exitCode = await main().catch((error: unknown) => {
  console.error(`unhealthy: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
});
