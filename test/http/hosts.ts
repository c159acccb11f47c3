/**
 * Existing servers a user might mount mmbot's HTTP handler in, at `/mattermost`, next to a page
 * of their own: plain node:http and Fastify through the node handler, Hono through the fetch one.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import Fastify from "fastify";
import { Hono } from "hono";
import type { HttpHandler } from "../../src/http/mountable-handler.js";

export const MOUNT = "/mattermost";

export interface Host {
  /** `http://127.0.0.1:<port>`: the host's own page is at `/`, mmbot under `/mattermost`. */
  url: string;
  /** The paths (query included) the host handed to mmbot. */
  handedOver: string[];
  close(): Promise<void>;
}

/** `handler` is asked for on each request: the bot it belongs to may be made after the host. */
export type HostStarter = (handler: () => HttpHandler) => Promise<Host>;

export const startNodeHost: HostStarter = async (handler) => {
  const handedOver: string[] = [];
  const server = createServer((req, res) => {
    if (req.url?.startsWith(`${MOUNT}/`)) {
      handedOver.push(req.url);
      return handler().node(req, res);
    }
    res.writeHead(200, { "content-type": "text/plain" }).end("the host's own page");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handedOver,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

export const startFastifyHost: HostStarter = async (handler) => {
  const handedOver: string[] = [];
  const app = Fastify({ forceCloseConnections: true });
  app.get("/", async () => "the host's own page");
  await app.register(
    async (mattermost) => {
      // mmbot reads and checks the body itself: Fastify leaves it unread
      mattermost.removeAllContentTypeParsers();
      mattermost.addContentTypeParser("*", (_request, _payload, done) => done(null));
      mattermost.all("/*", (request, reply) => {
        handedOver.push(request.url);
        reply.hijack();
        handler().node(request.raw, reply.raw);
      });
    },
    { prefix: MOUNT },
  );
  await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    handedOver,
    close: () => app.close(),
  };
};

export const startHonoHost: HostStarter = async (handler) => {
  const handedOver: string[] = [];
  const app = new Hono();
  app.get("/", (c) => c.text("the host's own page"));
  app.all(`${MOUNT}/*`, (c) => {
    const url = new URL(c.req.url);
    handedOver.push(url.pathname + url.search);
    return handler().fetch(c.req.raw);
  });
  let server: ReturnType<typeof serve> | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 }, (info) =>
      resolve(info.port),
    );
  });
  return {
    url: `http://127.0.0.1:${port}`,
    handedOver,
    close: () =>
      new Promise<void>((resolve) => {
        server!.close(() => resolve());
        (server as Server).closeAllConnections();
      }),
  };
};
