/** A real HTTP server on 127.0.0.1 that answers each request as the test scripts it. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

export type Answer = (req: RecordedRequest, res: ServerResponse) => void;

export interface ScriptedServer {
  url: string;
  requests: RecordedRequest[];
  /** Queues answers for the next requests, in order; the last one repeats. */
  script(...answers: Answer[]): void;
  close(): Promise<void>;
}

/** Starts the server; with no script every request gets 500. */
export async function startScriptedServer(): Promise<ScriptedServer> {
  let answers: Answer[] = [];
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      const answer = answers.length > 1 ? answers.shift()! : answers[0];
      if (answer) answer(recorded, res);
      else json(500, { id: "unscripted", message: "no answer scripted" })(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...next) => {
      answers = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers with a JSON body. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return (_req, res) => {
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
}

/** Answers with a text body. */
export function text(status: number, body: string, headers: Record<string, string> = {}): Answer {
  return (_req, res) => {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
    res.end(body);
  };
}

/** Drops the connection without answering (a network failure as the client sees it). */
export const hangUp: Answer = (_req, res) => {
  res.socket?.destroy();
};

/** Never answers. */
export const silence: Answer = () => {};
