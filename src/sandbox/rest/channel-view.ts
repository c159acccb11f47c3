/**
 * `POST /channels/members/{user_id}/view`: the user looked at a channel (clients send it on
 * switching channels), so its posts up to now are read; `channel_viewed` tells the user's
 * other connections, as the server does.
 */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail } from "../errors.js";
import { objectBody, route, stringField } from "../http.js";
import type { Services } from "../services.js";
import { target } from "../world.js";
import { idParam } from "./params.js";

export function channelViewRoutes(app: FastifyInstance, { world, hub }: Services): void {
  route(app, world, "POST", "/channels/members/:user_id/view", (call) => {
    const userId = idParam(call, "user_id", true);
    if (userId !== call.userId) fail(ERRORS.permissions);
    const channelId = stringField(objectBody(call, "channel_view"), "channel_id", true);
    const times: Record<string, number> = {};
    const member = channelId ? world.member(channelId, userId) : undefined;
    if (member) {
      member.last_viewed_at = Date.now();
      times[channelId] = member.last_viewed_at;
      hub.broadcast({
        event: "channel_viewed",
        data: { channel_id: channelId },
        broadcast: target({ user_id: userId }),
      });
    }
    return { body: { status: "OK", last_viewed_at_times: times } };
  });
}
