/** Recorded integration requests replayed against the bot, a response_url server, and a log capture. */
import { FIXTURES } from "../fixtures/mattermost.js";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import type { Logger } from "../../src/log.js";

const DIR = `${FIXTURES}/integrations`;

/** The recorded world's ids (alice, ops, acme) as they appear in every integration fixture. */
export const RECORDED = {
  alice: "p4x93acafj8gij314cqbp7gsoe",
  ops: "s5m6haaditfdmcrw46zwuj6khc",
  team: "3ahjq17e57yet8xhk4ix4ubsuo",
};

export interface RecordedRequest {
  method: string;
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string>;
  raw_body: string;
  parsed_body: Record<string, unknown>;
}

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(`${DIR}/${name}.json`, "utf8")) as T;
}

/** Replaces every occurrence of each key by its value, in raw text (ids are letters and digits). */
export function substitute(text: string, replacements: Record<string, string>): string {
  let out = text;
  for (const [from, to] of Object.entries(replacements)) out = out.split(from).join(to);
  return out;
}

/** Sends a recorded request to the bot's receiver at `path`, ids substituted. */
export async function replay(
  baseUrl: string,
  path: string,
  recorded: RecordedRequest,
  replacements: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const headers = Object.fromEntries(
    Object.entries(recorded.headers).map(([k, v]) => [k, substitute(v, replacements)]),
  );
  let url = baseUrl + path;
  let body: string | undefined;
  if (recorded.method === "GET") {
    const query = Object.fromEntries(
      Object.entries(recorded.query ?? {}).map(([k, v]) => [k, substitute(v, replacements)]),
    );
    url += `?${new URLSearchParams(query).toString()}`;
  } else body = substitute(recorded.raw_body, replacements);
  const response = await fetch(url, { method: recorded.method, headers, body });
  return readResponse(response);
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  const response = await fetch(url, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return readResponse(response);
}

async function readResponse(response: Response) {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: tests look at `text`
  }
  return { status: response.status, body, text };
}

/** A real HTTP server standing in for Mattermost's `/hooks/commands/<id>`: records the JSON posted to it. */
export async function startResponseUrlServer(): Promise<{
  url: string;
  calls: unknown[];
  next(): Promise<unknown>;
  close(): Promise<void>;
}> {
  const calls: unknown[] = [];
  const waiters: ((body: unknown) => void)[] = [];
  let consumed = 0;
  const flush = () => {
    while (waiters.length > 0 && consumed < calls.length) waiters.shift()!(calls[consumed++]);
  };
  const server: Server = createServer((req, res) => {
    let data = "";
    req.on("data", (chunk: Buffer) => (data += chunk.toString("utf8")));
    req.on("end", () => {
      const body: unknown = JSON.parse(data || "null");
      calls.push(body);
      flush();
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/commands/`,
    calls,
    /** The next call not yet returned by `next()`, waiting for it if needed. */
    next: () =>
      new Promise((resolve) => {
        waiters.push(resolve);
        flush();
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A logger that keeps its lines, to check what was (and was not) logged. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** A post body the bot sent to `POST /api/v4/posts`. */
export interface SentPost {
  channel_id: string;
  message: string;
  props?: { attachments?: unknown[] };
}

/**
 * The bot's `fetch`, passed through to the sandbox, remembering the posts the bot asked to
 * create: Mattermost (and the sandbox) keep an action's `integration` server-side and never show
 * it to clients, so this is where a test reads what a click will carry.
 */
export function observingFetch(): { fetch: typeof fetch; sentPosts: SentPost[] } {
  const sentPosts: SentPost[] = [];
  const observed: typeof fetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (init?.method === "POST" && url.endsWith("/api/v4/posts") && typeof init.body === "string")
      sentPosts.push(JSON.parse(init.body) as SentPost);
    return fetch(input, init);
  };
  return { fetch: observed, sentPosts };
}
