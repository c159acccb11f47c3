/**
 * The page's own endpoints under `/sandbox` (no Mattermost server has them): the traffic log,
 * as a list and as a live stream (Server-Sent Events), the people to switch between, adding
 * one (so that allowed users and mention-only can be tried with a new face), and their
 * pictures as the page shows them.
 */
import type { FastifyInstance } from "fastify";
import { avatarSvg } from "../avatar.js";
import type { Services } from "../services.js";
import type { TrafficLog } from "../traffic.js";
import { userWire } from "../wire.js";

/** Where a new person lands, as a real team join puts them in these channels. */
const JOINED_ON_ARRIVAL = ["town-square", "off-topic"];

export function pageRoutes(
  app: FastifyInstance,
  { world, channels }: Services,
  traffic: TrafficLog,
): void {
  app.get("/sandbox/traffic", (request, reply) => {
    const after = Number((request.query as { after?: string }).after ?? 0);
    return reply.send(traffic.since(Number.isFinite(after) ? after : 0));
  });

  app.get("/sandbox/traffic/stream", (request, reply) => {
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, {
      "Content-Type": "text/event-stream",
      "Cache-Control": "no-cache",
      Connection: "keep-alive",
    });
    const send = (entry: unknown) => out.write(`data: ${JSON.stringify(entry)}\n\n`);
    // what happened before the page connected first, then each new entry as it is recorded
    for (const entry of traffic.since(0)) send(entry);
    const unsubscribe = traffic.subscribe(send);
    request.raw.on("close", unsubscribe);
  });

  app.get("/sandbox/users", (_request, reply) =>
    reply.send(
      [...world.users.values()].map((u) => ({
        id: u.id,
        username: u.username,
        is_bot: u.is_bot,
        roles: u.roles,
      })),
    ),
  );

  // an <img> sends no token: a picture is no secret in a sandbox
  app.get("/sandbox/users/:id/avatar.svg", (request, reply) => {
    const user = world.users.get((request.params as { id: string }).id);
    if (!user) return reply.code(404).send({ message: "No such user." });
    return reply
      .header("Content-Type", "image/svg+xml")
      .header("Cache-Control", "max-age=3600")
      .send(avatarSvg(user));
  });

  app.post("/sandbox/users", (request, reply) => {
    const username = parseUsername(request.body);
    if (!username)
      return reply.code(400).send({
        message:
          'Send {"username": "..."}: a-z, 0-9, . _ - (the password will be sandbox-<username>).',
      });
    if (world.userByName(username))
      return reply
        .code(400)
        .send({ message: `A user named "${username}" already exists: switch to it instead.` });
    let user;
    try {
      user = world.createUser({ username, password: `sandbox-${username}` });
    } catch (error) {
      return reply.code(400).send({ message: (error as Error).message });
    }
    for (const team of world.teams.values()) {
      world.addToTeam(team.id, user.id);
      for (const name of JOINED_ON_ARRIVAL) {
        const channel = world.channelByName(team.id, name);
        if (channel) channels.add(channel.id, user.id);
      }
    }
    return reply.code(201).send(userWire(user, false));
  });
}

function parseUsername(body: unknown): string | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.isBuffer(body) ? body.toString("utf8") : "");
    const name = (parsed as { username?: unknown } | null)?.username;
    return typeof name === "string" && name.trim() !== "" ? name.trim().toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}
