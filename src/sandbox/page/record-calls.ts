/** Records every API call a client makes (REST and webhooks, not the page's own files) in the traffic log. */
import type { FastifyInstance } from "fastify";
import type { TrafficLog } from "../traffic.js";
import type { World } from "../world.js";

/** Paths that are a client's API calls; the page's files and its `/sandbox` endpoints are not. */
const API_PATH = /^\/(api\/v4|hooks)\//;

export function recordApiCalls(app: FastifyInstance, world: World, traffic: TrafficLog): void {
  app.addHook("onResponse", (request, reply, done) => {
    if (API_PATH.test(request.url)) {
      const token = /^(?:bearer|token)\s+(\S+)$/i.exec(request.headers.authorization ?? "")?.[1];
      const userId = token === undefined ? undefined : world.userIdForToken(token);
      const user = userId === undefined ? undefined : world.users.get(userId)?.username;
      const durationMs = Math.round(reply.elapsedTime);
      traffic.record({
        kind: "api",
        direction: "in",
        at: Date.now() - durationMs,
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        durationMs,
        ...(user !== undefined && { user }),
      });
    }
    done();
  });
}
