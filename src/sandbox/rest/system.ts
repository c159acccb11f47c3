/** `GET /system/ping`. */
import type { FastifyInstance } from "fastify";
import { route } from "../http.js";
import type { Services } from "../services.js";

export function systemRoutes(app: FastifyInstance, { world }: Services): void {
  route(
    app,
    world,
    "GET",
    "/system/ping",
    () => ({
      body: {
        AndroidLatestVersion: "",
        AndroidMinVersion: "",
        DesktopLatestVersion: "",
        DesktopMinVersion: "",
        IosLatestVersion: "",
        IosMinVersion: "",
        status: "OK",
      },
    }),
    { public: true },
  );
}
