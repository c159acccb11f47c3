/**
 * `GET /metrics` (Prometheus text) and `GET /readyz` (200 when the bot can work, 503 with the
 * reason) as a node:http handler that answers only those two paths, so it can sit in front of
 * another handler (the HTTP receiver's listener) or serve a listener of its own.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readiness } from "../bot/observer.js";
import type { BotMetrics } from "./bot-metrics.js";

export const METRICS_PATHS = { metrics: "/metrics", readyz: "/readyz" } as const;

/** Answers `/metrics` and `/readyz` and returns true; false (nothing sent) for any other request. */
export type MetricsRequestHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** `mountPath`: a prefix the paths may also carry (the receiver's public URL path, kept by a proxy). */
export function metricsRequestHandler(metrics: BotMetrics, mountPath = ""): MetricsRequestHandler {
  return (req, res) => {
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") return false;
    let path = (req.url ?? "/").split("?")[0]!;
    if (mountPath && path.startsWith(`${mountPath}/`)) path = path.slice(mountPath.length);
    if (path === METRICS_PATHS.metrics) {
      metrics.text().then(
        (text) => send(res, 200, metrics.contentType, text, method),
        (error: unknown) =>
          send(
            res,
            500,
            "text/plain; charset=utf-8",
            `cannot collect the metrics: ${error instanceof Error ? error.message : String(error)}\n`,
            method,
          ),
      );
      return true;
    }
    if (path === METRICS_PATHS.readyz) {
      readiness(metrics).then((state) =>
        send(
          res,
          state.ready ? 200 : 503,
          "application/json",
          `${JSON.stringify(readyBody(state))}\n`,
          method,
        ),
      );
      return true;
    }
    return false;
  };
}

async function readiness(metrics: BotMetrics): Promise<Readiness> {
  const bot = metrics.observed;
  if (!bot)
    return { ready: false, checks: { bot: { ok: false, reason: "the bot is not started" } } };
  return bot.readiness().catch((error: unknown) => ({
    ready: false,
    checks: {
      bot: { ok: false, reason: error instanceof Error ? error.message : String(error) },
    },
  }));
}

/** The failing checks' reasons first, in one line, then every check. */
function readyBody(state: Readiness): object {
  if (state.ready) return { status: "ready", checks: state.checks };
  const reasons = Object.entries(state.checks).flatMap(([name, check]) =>
    check.ok ? [] : [`${name}: ${check.reason ?? "not ready"}`],
  );
  return { status: "not ready", reason: reasons.join("; "), checks: state.checks };
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  method: string,
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(method === "HEAD" ? undefined : body);
}
