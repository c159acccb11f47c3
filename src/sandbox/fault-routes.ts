/**
 * The fault API over HTTP, for tests in another process: `POST /sandbox/faults` with one fault
 * as JSON, `DELETE /sandbox/faults` to end them all. Sandbox-only (no server has it).
 *
 * @example
 * curl -X POST $URL/sandbox/faults -d '{"fault":"cut","ms":8000}'
 * curl -X POST $URL/sandbox/faults -d '{"fault":"fail-rest","path":"^/api/v4/posts$","answer":429,"count":3}'
 * curl -X POST $URL/sandbox/faults -d '{"fault":"rate-limit","per_sec":5,"max_burst":10}'   (no per_sec: off)
 */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Faults } from "./faults.js";

const userId = z.string().min(1).optional();
const ms = z.number().int().min(0).max(3_600_000);
const count = z.number().int().min(1).optional();
const path = z
  .string()
  .refine(isRegExp, "path must be a regular expression (tested on the path without the query)");

const FAULT = z.discriminatedUnion("fault", [
  z.object({ fault: z.literal("drop-websockets"), user_id: userId }),
  z.object({ fault: z.literal("silence-websockets"), user_id: userId }),
  z.object({ fault: z.literal("refuse-websockets"), ms }),
  z.object({ fault: z.literal("cut"), ms }),
  z.object({ fault: z.literal("restart"), down_ms: ms.optional() }),
  z.object({
    fault: z.literal("fail-rest"),
    path,
    method: z.string().optional(),
    answer: z.union([z.literal(429), z.literal(500), z.literal(502), z.literal("timeout")]),
    count,
    retry_after_seconds: z.number().int().min(0).optional(),
  }),
  z.object({
    fault: z.literal("delay-rest"),
    ms,
    path: path.optional(),
    method: z.string().optional(),
    count,
  }),
  z.object({
    fault: z.literal("rate-limit"),
    per_sec: z.number().positive().max(100_000).optional(),
    max_burst: z.number().int().min(0).max(100_000).optional(),
  }),
]);

export type FaultRequest = z.infer<typeof FAULT>;

export function faultRoutes(app: FastifyInstance, faults: Faults): void {
  app.post("/sandbox/faults", (request, reply) => {
    const parsed = FAULT.safeParse(parseJson(request.body));
    if (!parsed.success) {
      const reason = parsed.error.issues
        .map((i) => `${i.path.join(".") || "body"}: ${i.message}`)
        .join("; ");
      return reply.code(400).send({
        message: `Not a fault: ${reason}. Send {"fault": "drop-websockets" | "silence-websockets" | "refuse-websockets" | "cut" | "restart" | "fail-rest" | "delay-rest" | "rate-limit", ...}.`,
      });
    }
    return reply.send({ applied: parsed.data.fault, affected: apply(faults, parsed.data) });
  });
  app.delete("/sandbox/faults", (_request, reply) => {
    faults.clear();
    return reply.send({ cleared: true });
  });
}

/** Applies one fault; returns how many sockets it touched, when it touches sockets. */
function apply(faults: Faults, f: FaultRequest): number | undefined {
  switch (f.fault) {
    case "drop-websockets":
      return faults.dropWebSockets(f.user_id);
    case "silence-websockets":
      return faults.silenceWebSockets(f.user_id);
    case "refuse-websockets":
      return void faults.refuseWebSockets(f.ms);
    case "cut":
      return void faults.cut(f.ms);
    case "restart":
      return void faults.restart(f.down_ms);
    case "fail-rest":
      return void faults.failRest({
        path: f.path,
        method: f.method,
        answer: f.answer,
        count: f.count,
        retryAfterSeconds: f.retry_after_seconds,
      });
    case "delay-rest":
      return void faults.delayRest({ ms: f.ms, path: f.path, method: f.method, count: f.count });
    case "rate-limit":
      return void faults.rateLimit(
        f.per_sec === undefined ? undefined : { perSec: f.per_sec, maxBurst: f.max_burst },
      );
  }
}

function parseJson(body: unknown): unknown {
  try {
    return JSON.parse(Buffer.isBuffer(body) ? body.toString("utf8") : String(body ?? ""));
  } catch {
    return undefined;
  }
}

function isRegExp(source: string): boolean {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}
