/** Statuses: `GET /users/{id}/status` and `POST /users/status/ids`, as the server's `model.Status`. */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail, invalidBodyParam } from "../errors.js";
import type { Hub } from "../hub.js";
import { route } from "../http.js";
import { isValidId } from "../ids.js";
import type { Services } from "../services.js";
import { idParam } from "./params.js";
import { stringList } from "./body.js";

export interface StatusWire {
  user_id: string;
  status: "online" | "offline";
  manual: boolean;
  last_activity_at: number;
  dnd_end_time: number;
}

/** Online while connected or active through the API; a user the server has no status for is offline. */
export function statusOf(hub: Hub, userId: string): StatusWire {
  const online = hub.isOnline(userId);
  return {
    user_id: userId,
    status: online ? "online" : "offline",
    manual: false,
    last_activity_at: online ? Date.now() : 0,
    dnd_end_time: 0,
  };
}

export function statusRoutes(app: FastifyInstance, { world, hub }: Services): void {
  route(app, world, "GET", "/users/:user_id/status", (call) => {
    const id = idParam(call, "user_id", true);
    if (!world.users.has(id)) fail(ERRORS.userMissing);
    return { body: statusOf(hub, id) };
  });

  route(app, world, "POST", "/users/status/ids", (call) => {
    const ids = stringList(call, "user_ids");
    if (!ids.every(isValidId)) fail(invalidBodyParam("user_ids"));
    return { body: [...new Set(ids)].map((id) => statusOf(hub, id)) };
  });
}
