/**
 * The receiver's two handlers on their own: the mount path rule, body limits however the body
 * arrives (declared or streamed), a body another middleware already read, and a receiver that
 * neither listens nor knows its public URL. The bot's handler before `start()`.
 */
import { request as httpRequest, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpSource } from "../../src/sources/http.js";
import { ConfigError } from "../../src/errors.js";
import { HttpReceiver } from "../../src/http/receiver.js";
import { ROUTES } from "../../src/http/routes.js";
import { capturingLogger } from "./integration-helpers.js";

const SLASH_TOKEN = "slashtokenslashtokenslash1";
const slashForm = new URLSearchParams({
  token: SLASH_TOKEN,
  command: "/x",
  text: "hi",
  channel_id: "c",
  team_id: "t",
  user_id: "u",
}).toString();
const FORM = { "content-type": "application/x-www-form-urlencoded" };

function receiver(
  options: { publicUrl?: string; listen?: string } = { publicUrl: "http://127.0.0.1/mattermost" },
) {
  const { logger, lines } = capturingLogger();
  const slash = async (payload: { text: string }) => ({ text: `got ${payload.text}` });
  const none = async () => ({});
  const made = new HttpReceiver({
    ...options,
    tokens: { slash: [SLASH_TOKEN] },
    logger,
    bodyLimitBytes: 1024,
    handlers: { outgoingWebhook: none, slash, action: none, dialog: none },
  });
  return { receiver: made, lines };
}

async function answerOf(response: Response) {
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("the fetch handler", () => {
  const { receiver: mounted } = receiver();
  const slash = (url: string) =>
    mounted.fetch(new Request(url, { method: "POST", headers: FORM, body: slashForm }));

  it("takes a path under the public URL's path relative to it, and one a host already stripped as it is", async () => {
    expect(await answerOf(await slash("http://127.0.0.1/mattermost/slash"))).toEqual({
      status: 200,
      body: { text: "got hi" },
    });
    expect(await answerOf(await slash("http://127.0.0.1/slash"))).toEqual({
      status: 200,
      body: { text: "got hi" },
    });
    expect(await answerOf(await slash("http://127.0.0.1/elsewhere/slash"))).toEqual({
      status: 404,
      body: { error: "no such route: POST /elsewhere/slash" },
    });
  });

  it("stops reading a streamed body past the limit: 413, and the stream is cancelled", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull: (controller) => void (pulled++, controller.enqueue(new Uint8Array(256).fill(120))),
      cancel: () => void (cancelled = true),
    });
    const response = await mounted.fetch(
      new Request("http://127.0.0.1/mattermost/slash", {
        method: "POST",
        headers: FORM,
        body: endless,
        duplex: "half",
      } as RequestInit),
    );
    expect(await answerOf(response)).toEqual({
      status: 413,
      body: { error: "the body is too large" },
    });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });

  it("answers a Request whose body was already read with a reference, and logs why", async () => {
    const { receiver: fresh, lines } = receiver();
    const request = new Request("http://127.0.0.1/mattermost/slash", {
      method: "POST",
      headers: FORM,
      body: slashForm,
    });
    await request.text(); // a middleware before it
    const answer = await answerOf(await fresh.fetch(request));
    expect(answer).toMatchObject({
      status: 200,
      body: {
        response_type: "ephemeral",
        text: expect.stringMatching(/^Sorry, something went wrong \(ref [0-9a-f]{8}\)\.$/),
      },
    });
    expect(lines.join("\n")).toContain("the request body was already read");
  });
});

describe("the node handler in a node:http server", () => {
  const { receiver: mounted, lines } = receiver();
  let url: string;
  const server = createServer((req, res) => {
    if (req.url === "/mattermost/after-a-body-parser") {
      req.resume(); // a body parser took the body
      req.on("end", () => {
        req.url = `/mattermost${ROUTES.slash}`;
        mounted.node(req, res);
      });
    } else mounted.node(req, res);
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())),
  );

  it("cuts off a chunked body past the limit with 413 and closes the connection", async () => {
    const answer = await new Promise<{
      status: number;
      connection: string | undefined;
      body: string;
    }>((resolve, reject) => {
      const req = httpRequest(
        `${url}/mattermost${ROUTES.slash}`,
        { method: "POST", headers: FORM },
        (res) => {
          let body = "";
          res.on("data", (chunk: Buffer) => (body += chunk.toString()));
          res.on("end", () =>
            resolve({ status: res.statusCode!, connection: res.headers.connection, body }),
          );
        },
      );
      req.on("error", reject);
      for (let i = 0; i < 8; i++) req.write("x".repeat(256)); // no content-length: chunked
      req.end();
    });
    expect(answer).toEqual({
      status: 413,
      connection: "close",
      body: JSON.stringify({ error: "the body is too large" }),
    });
  });

  it("refuses a declared length past the limit without reading it, and empty or prototype-poisoning JSON (400)", async () => {
    const big = await fetch(`${url}/mattermost${ROUTES.slash}`, {
      method: "POST",
      headers: FORM,
      body: "x".repeat(5000),
    });
    expect(await answerOf(big)).toEqual({ status: 413, body: { error: "the body is too large" } });
    const empty = await fetch(`${url}/mattermost${ROUTES.dialogs}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "",
    });
    expect(await answerOf(empty)).toEqual({
      status: 400,
      body: { error: "the JSON body is empty" },
    });
    const poisoned = await fetch(`${url}/mattermost${ROUTES.dialogs}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"__proto__": {"x": 1}}',
    });
    expect(await answerOf(poisoned)).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^malformed JSON body: .*prototype/) },
    });
    const ok = await fetch(`${url}/mattermost${ROUTES.slash}`, {
      method: "POST",
      headers: FORM,
      body: slashForm,
    });
    expect(await answerOf(ok)).toEqual({ status: 200, body: { text: "got hi" } });
  });

  it("answers a request whose body a middleware already read with a reference instead of waiting for it", async () => {
    const answer = await answerOf(
      await fetch(`${url}/mattermost/after-a-body-parser`, {
        method: "POST",
        headers: FORM,
        body: slashForm,
      }),
    );
    expect(answer).toMatchObject({
      status: 200,
      body: { text: expect.stringMatching(/ref [0-9a-f]{8}/) },
    });
    expect(lines.join("\n")).toContain("a body parser mounted before the mmbot handler?");
  });
});

describe("a receiver that does not listen", () => {
  it("needs a public URL, and says which options to give", () => {
    expect(() => receiver({})).toThrow(ConfigError);
    expect(() => receiver({})).toThrow(
      /^the http option has neither listen nor publicUrl: give listen .* or publicUrl .* where your server mounts its handler$/,
    );
    expect(() => receiver({ publicUrl: "bot.example.com/mattermost" })).toThrow(
      /^http\.publicUrl "bot\.example\.com\/mattermost" is not a URL/,
    );
  });

  it("starts and stops without opening a port", async () => {
    const { receiver: mounted } = receiver({ publicUrl: "https://bot.example.com/mattermost/" });
    await mounted.start();
    expect(mounted.publicUrl).toBe("https://bot.example.com/mattermost");
    await mounted.stop();
  });
});

describe("the HTTP source's handler", () => {
  it("answers 503 with a reason until the bot is started", async () => {
    const source = new HttpSource({ publicUrl: "http://127.0.0.1/mattermost" });
    const response = await source.handler.fetch(
      new Request("http://127.0.0.1/mattermost/slash", {
        method: "POST",
        headers: FORM,
        body: slashForm,
      }),
    );
    expect(await answerOf(response)).toEqual({
      status: 503,
      body: { error: "the bot is not started: call bot.start()" },
    });
  });

  it("without listen or publicUrl, is refused naming both", () => {
    expect(() => new HttpSource({})).toThrow(/neither listen nor publicUrl/);
  });
});
