/** Wires a world file into a starting sandbox: put back, then told of every change. */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Hub } from "../hub.js";
import type { WorldKeeper } from "./keeper.js";
import type { Table } from "./table.js";

export interface KeptWorld {
  keeper: WorldKeeper;
  /** Whether the file held a world (else the sandbox starts empty). */
  restored: boolean;
}

/** Opens the file into `tables`; call before the routes are added, so that the hook sees them all. */
export async function keepWorld(
  path: string,
  options: { fresh?: boolean; logger: Logger; app: FastifyInstance; hub: Hub; tables: Table[] },
): Promise<KeptWorld> {
  const { WorldKeeper } = await import("./keeper.js"); // better-sqlite3 is loaded only for a kept world
  const kept = WorldKeeper.open(path, options.tables, options);
  // a change is announced (an event) or asked for (a request that is not a read)
  options.hub.subscribe((event) => event.event !== "typing" && kept.keeper.changed());
  options.app.addHook("onResponse", async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") kept.keeper.changed();
  });
  return kept;
}
