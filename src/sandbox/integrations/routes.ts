/** REST routes of the integrations (`/api/v4/commands`, `/hooks`, actions, dialogs) and the public `/hooks/...` endpoints. */
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Services } from "../services.js";
import { fail, invalidBodyParam, invalidUrlParam } from "../errors.js";
import { objectBody, route } from "../http.js";
import { idParam } from "../rest/params.js";
import type { Integrations } from "./index.js";
import { isRecord } from "./slack.js";
import { parseJson } from "../json.js";

export function integrationRoutes(
  app: FastifyInstance,
  { world }: Services,
  integrations: Integrations,
): void {
  const {
    commands,
    outgoingWebhooks: outgoing,
    incomingWebhooks: incoming,
    actions,
    dialogs,
  } = integrations;

  route(app, world, "POST", "/commands", (call) => ({
    status: 201,
    body: commands.create(call.userId, objectBody(call, "command")),
  }));
  route(app, world, "GET", "/commands", (call) => {
    const teamId = call.query.team_id ?? "";
    if (!teamId) fail(invalidUrlParam("team_id"));
    return { body: commands.list(call.userId, teamId, call.query.custom_only === "true") };
  });
  route(app, world, "POST", "/commands/execute", async (call) => ({
    body: await commands.execute(call.userId, objectBody(call, "command_args")),
  }));
  route(app, world, "GET", "/commands/:command_id", (call) => ({
    body: commands.get(call.userId, idParam(call, "command_id")),
  }));
  route(app, world, "PUT", "/commands/:command_id", (call) => {
    const id = idParam(call, "command_id");
    return { body: commands.update(call.userId, id, sameId(objectBody(call, "command"), id)) };
  });
  route(app, world, "DELETE", "/commands/:command_id", (call) => {
    commands.remove(call.userId, idParam(call, "command_id"));
    return { body: { status: "OK" } };
  });
  route(app, world, "PUT", "/commands/:command_id/regen_token", (call) => ({
    body: { token: commands.regenerateToken(call.userId, idParam(call, "command_id")) },
  }));

  route(app, world, "POST", "/hooks/outgoing", (call) => ({
    status: 201,
    body: outgoing.create(call.userId, objectBody(call, "outgoing_webhook")),
  }));
  route(app, world, "GET", "/hooks/outgoing", (call) => ({
    body: outgoing.list(call.userId, {
      team_id: call.query.team_id,
      channel_id: call.query.channel_id,
    }),
  }));
  route(app, world, "GET", "/hooks/outgoing/:hook_id", (call) => ({
    body: outgoing.get(call.userId, idParam(call, "hook_id")),
  }));
  route(app, world, "PUT", "/hooks/outgoing/:hook_id", (call) => {
    const id = idParam(call, "hook_id");
    return { body: outgoing.update(call.userId, id, sameId(objectBody(call, "hook"), id)) };
  });
  route(app, world, "DELETE", "/hooks/outgoing/:hook_id", (call) => {
    outgoing.remove(call.userId, idParam(call, "hook_id"));
    return { body: { status: "OK" } };
  });
  route(app, world, "POST", "/hooks/outgoing/:hook_id/regen_token", (call) => ({
    body: outgoing.regenerateToken(call.userId, idParam(call, "hook_id")),
  }));

  route(app, world, "POST", "/hooks/incoming", (call) => ({
    status: 201,
    body: incoming.create(call.userId, objectBody(call, "incoming_webhook")),
  }));
  route(app, world, "GET", "/hooks/incoming", (call) => ({
    body: incoming.list(call.userId, call.query.team_id),
  }));
  route(app, world, "GET", "/hooks/incoming/:hook_id", (call) => ({
    body: incoming.get(call.userId, idParam(call, "hook_id")),
  }));
  route(app, world, "PUT", "/hooks/incoming/:hook_id", (call) => {
    const id = idParam(call, "hook_id");
    return { body: incoming.update(call.userId, id, sameId(objectBody(call, "hook"), id)) };
  });
  route(app, world, "DELETE", "/hooks/incoming/:hook_id", (call) => {
    incoming.remove(call.userId, idParam(call, "hook_id"));
    return { body: { status: "OK" } };
  });

  // ids of letters and digits only, as the server's router: `bad_id` matches no route (404 text/plain)
  route(
    app,
    world,
    "POST",
    "/posts/:post_id(^[A-Za-z0-9]+$)/actions/:action_id(^[A-Za-z0-9]+$)",
    async (call) => {
      const userId = call.userId;
      let selectedOption = "";
      try {
        const body: unknown = parseJson(call.raw().toString("utf8"));
        if (isRecord(body) && typeof body.selected_option === "string")
          selectedOption = body.selected_option;
      } catch {
        // the server reads an absent or malformed body as no selection
      }
      return {
        body: await actions.click(
          userId,
          idParam(call, "post_id"),
          call.params.action_id!,
          selectedOption,
        ),
      };
    },
  );

  route(app, world, "POST", "/actions/dialogs/open", (call) => {
    dialogs.open(objectBody(call, "dialog"));
    return { body: { status: "OK" } };
  });
  route(app, world, "POST", "/actions/dialogs/submit", async (call) => {
    const userId = call.userId;
    const body = objectBody(call, "dialog");
    const text = (name: string) => (typeof body[name] === "string" ? (body[name] as string) : "");
    const submission = isRecord(body.submission) ? body.submission : undefined;
    const input = {
      url: text("url"),
      callback_id: text("callback_id"),
      state: text("state"),
      channel_id: text("channel_id"),
      team_id: text("team_id"),
      submission,
      cancelled: body.cancelled === true,
    };
    return { body: await dialogs.submit(userId, input) };
  });

  // an incoming webhook: no session, the hook id is the secret
  app.post("/hooks/:hook_id", async (request, reply) => {
    incoming.receive(
      (request.params as { hook_id: string }).hook_id,
      contentType(request),
      bodyText(request),
    );
    return reply.type("text/plain").send("ok");
  });

  // a command's response_url: no session, the hook id is the secret
  app.post("/hooks/commands/:hook_id", async (request, reply) => {
    commands.handleWebhook(
      (request.params as { hook_id: string }).hook_id,
      contentType(request),
      bodyText(request),
    );
    return reply.type("text/plain").send("ok");
  });
}

/** An update names what it updates: the body's id must be the URL's. */
function sameId(body: Record<string, unknown>, id: string): Record<string, unknown> {
  if (body.id !== id) fail(invalidBodyParam("id"));
  return body;
}

export function contentType(request: FastifyRequest): string {
  return request.headers["content-type"] ?? "";
}

export function bodyText(request: FastifyRequest): string {
  return Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
}
