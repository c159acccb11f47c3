/** Files: multipart upload (`channel_id` + `files`) and download. */
import type { FastifyInstance } from "fastify";
import { ERRORS, fail, invalidBodyParam } from "../errors.js";
import { route } from "../http.js";
import { parseMultipart } from "../multipart.js";
import type { Services } from "../services.js";
import { fileWire } from "../wire.js";
import { idParam } from "./params.js";

export function fileRoutes(app: FastifyInstance, { world, posting }: Services): void {
  route(app, world, "POST", "/files", (call) => {
    const userId = call.userId;
    const contentType = call.headers["content-type"] ?? "";
    if (!/^multipart\//i.test(contentType) && call.query.filename) {
      // the server's other way: the body is the file, `channel_id` and `filename` are in the query
      const channelId = call.query.channel_id ?? "";
      if (!channelId) fail(invalidBodyParam("channel_id"));
      return {
        status: 201,
        body: {
          file_infos: [
            fileWire(posting.upload(userId, channelId, call.query.filename, call.raw())),
          ],
          client_ids: null,
        },
      };
    }
    const parts = parseMultipart(contentType, call.raw());
    if (!parts) fail(invalidBodyParam("multipart"));
    const channelId =
      parts
        .find((p) => p.name === "channel_id" && p.filename === undefined)
        ?.data.toString("utf8") ??
      call.query.channel_id ??
      "";
    if (!channelId) fail(invalidBodyParam("channel_id"));
    const files = parts.filter((p) => p.name === "files" && p.filename !== undefined);
    if (files.length === 0) fail(ERRORS.fileNoFiles);
    const clientIds = parts
      .filter((p) => p.name === "client_ids")
      .map((p) => p.data.toString("utf8"));
    const infos = files.map((p) =>
      fileWire(posting.upload(userId, channelId, p.filename!, p.data)),
    );
    return { status: 201, body: { file_infos: infos, client_ids: clientIds } };
  });

  route(app, world, "GET", "/files/:file_id", (call) => {
    const file = posting.file(call.userId, idParam(call, "file_id"));
    return {
      bytes: { data: file.bytes, contentType: file.mime_type },
      // the server's headers for a download: never cached, never sniffed or framed
      headers: {
        "Content-Disposition": `attachment;filename="${file.name.replace(/"/g, "")}"`,
        "Cache-Control": "private, no-cache",
        "Last-Modified": new Date(file.create_at).toUTCString(),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": "Frame-ancestors 'none'",
      },
    };
  });

  route(app, world, "GET", "/files/:file_id/info", (call) => ({
    body: fileWire(posting.file(call.userId, idParam(call, "file_id"))),
    headers: { "Cache-Control": "max-age=2592000, private" },
  }));
}
