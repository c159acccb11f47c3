/** `/users/{id}/preferences`: read, save (announced by `preferences_changed`) and delete. */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail, invalidBodyParam } from "../errors.js";
import { route, type Call } from "../http.js";
import type { Preference } from "../preferences.js";
import type { Services } from "../services.js";
import { target } from "../world.js";
import { idParam } from "./params.js";

export function preferenceRoutes(
  app: FastifyInstance,
  { world, preferences, hub }: Services,
): void {
  /** The user whose preferences these are: only that user or a system admin (`edit_other_users`). */
  const owner = (call: Call): string => {
    const id = idParam(call, "user_id", true);
    if (id !== call.userId && !world.isAdmin(call.userId)) fail(ERRORS.permissions);
    return id;
  };

  route(app, world, "GET", "/users/:user_id/preferences", (call) => ({
    body: preferences.of(owner(call)),
  }));

  route(app, world, "GET", "/users/:user_id/preferences/:category", (call) => {
    const id = owner(call);
    const found = preferences.of(id).filter((p) => p.category === call.params.category);
    if (found.length === 0) fail(ERRORS.preferenceMissing);
    return { body: found };
  });

  route(app, world, "PUT", "/users/:user_id/preferences", (call) => {
    const id = owner(call);
    const list = preferenceList(call);
    preferences.save(id, list);
    hub.broadcast({
      event: "preferences_changed",
      data: { preferences: JSON.stringify(list) },
      broadcast: target({ user_id: id }),
    });
    return { body: { status: "OK" } };
  });

  route(app, world, "POST", "/users/:user_id/preferences/delete", (call) => {
    const id = owner(call);
    const list = preferenceList(call);
    preferences.remove(id, list);
    hub.broadcast({
      event: "preferences_deleted",
      data: { preferences: JSON.stringify(list) },
      broadcast: target({ user_id: id }),
    });
    return { body: { status: "OK" } };
  });
}

/** The body as a list of preferences; anything else is 400 naming `preferences`, as the server's decoder. */
function preferenceList(call: Call): Preference[] {
  const body = call.json("preferences");
  if (!Array.isArray(body)) fail(invalidBodyParam("preferences"));
  return body.map((item: unknown) => {
    const p = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    const text = (key: string): string => {
      const value = p[key] ?? "";
      if (typeof value !== "string") fail(invalidBodyParam("preferences"));
      return value;
    };
    return {
      user_id: text("user_id"),
      category: text("category"),
      name: text("name"),
      value: text("value"),
    };
  });
}
