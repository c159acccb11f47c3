/**
 * Serves the page (built by `npm run build` from web/ into dist/web) at the sandbox's root URL.
 * The files are read once at start and served from a fixed map: no path from a request ever
 * reaches the file system. Without a build the root URL says how to make one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";

/** dist/web, from src/sandbox/page (tests) as from dist/sandbox/page (the package). */
export const PAGE_DIR = fileURLToPath(new URL("../../../dist/web/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

interface PageFile {
  data: Buffer;
  type: string;
}

export function servePage(app: FastifyInstance, dir = PAGE_DIR): void {
  const files = readPage(dir);
  const index = files.get("/index.html");
  app.get("/", (_request, reply) => {
    if (!index) {
      return reply
        .code(503)
        .type("text/plain; charset=utf-8")
        .send(
          "The sandbox page is not built: run `npm run build` (it bundles web/ into dist/web).\n",
        );
    }
    return reply.type(index.type).header("Cache-Control", "no-cache").send(index.data);
  });
  for (const [path, file] of files) {
    if (path === "/index.html") continue;
    // asset names carry a content hash: they never change
    app.get(path, (_request, reply) =>
      reply
        .type(file.type)
        .header("Cache-Control", "public, max-age=31536000, immutable")
        .send(file.data),
    );
  }
}

function readPage(dir: string): Map<string, PageFile> {
  const files = new Map<string, PageFile>();
  if (!existsSync(dir)) return files;
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else
        files.set(`/${relative(dir, path).split(sep).join("/")}`, {
          data: readFileSync(path),
          type: TYPES[extname(name)] ?? "application/octet-stream",
        });
    }
  };
  walk(dir);
  return files;
}
