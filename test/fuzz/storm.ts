/**
 * What the HTTP fuzz suites share: sending a case over loopback (node:http, or a raw socket for
 * broken framing), running cases with bounded concurrency, tallying statuses per route, and
 * measuring the process's RSS around the storm after a GC.
 */
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export interface HttpCase {
  /** The route's name in the figures. */
  route: string;
  mutation: string;
  method: string;
  /** Path and query. */
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 16 });

/** Sends one case to `base` (`http://127.0.0.1:port`); a connection closed by the server is status 0. */
export function send(base: string, c: HttpCase, timeoutMs = 10_000): Promise<HttpAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: c.method,
        path: c.path,
        headers: { ...sendableHeaders(c.headers), "content-length": String(c.body.length) },
        agent,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(
        new Error(`no answer within ${timeoutMs} ms to ${c.method} ${c.path} (${c.mutation})`),
      ),
    );
    req.on("error", (error: NodeJS.ErrnoException) =>
      error.code === "ECONNRESET" || error.code === "EPIPE"
        ? resolve({ status: 0, contentType: "", body: "" })
        : reject(error),
    );
    req.end(c.body);
  });
}

/** Header values as a client can send them at all (node:http refuses control characters and code points past U+00FF). */
function sendableHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [k, v.replace(/[^\t\x20-\x7e\x80-\xff]/g, "?")]),
  );
}

/**
 * Broken framing a proxy or a dying client produces: a body shorter than its Content-Length,
 * then the client hangs up; a chunked body cut mid-chunk; a header block that never ends.
 * Resolves with the status line's code if any (0 when the server just closed).
 */
export function sendBrokenFraming(
  base: string,
  path: string,
  kind: "short body" | "cut chunk" | "endless headers",
  rngBytes: Buffer,
): Promise<number> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(url.port), url.hostname);
    let answer = "";
    const done = () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0));
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("error", done);
    socket.on("close", done);
    socket.setTimeout(2_000, () => socket.destroy());
    const head = `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`;
    if (kind === "short body") socket.end(`${head}Content-Length: 5000\r\n\r\n{"token":"x",`);
    else if (kind === "cut chunk")
      socket.end(
        Buffer.concat([Buffer.from(`${head}Transfer-Encoding: chunked\r\n\r\nfff\r\n`), rngBytes]),
      );
    else socket.end(Buffer.concat([Buffer.from(`${head}X-Junk: `), rngBytes]));
  });
}

/** Runs `work` over `count` cases, `concurrency` at a time. */
export async function runPool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Cases and statuses per route and per mutation, printed at the end of a run. */
export class Tally {
  private readonly byRoute = new Map<string, Map<string, number>>();
  private readonly byMutation = new Map<string, number>();
  total = 0;

  add(route: string, mutation: string, status: number | string): void {
    this.total++;
    const statuses = this.byRoute.get(route) ?? new Map<string, number>();
    this.byRoute.set(route, statuses);
    statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1);
    this.byMutation.set(mutation, (this.byMutation.get(mutation) ?? 0) + 1);
  }

  report(title: string, extra: string[] = []): string {
    const lines = [`${title}: ${this.total} cases`];
    for (const [route, statuses] of [...this.byRoute].sort()) {
      const n = [...statuses.values()].reduce((a, b) => a + b, 0);
      const seen = [...statuses]
        .sort()
        .map(([s, k]) => `${s}×${k}`)
        .join(" ");
      lines.push(`  ${route.padEnd(34)} ${String(n).padStart(7)}  ${seen}`);
    }
    lines.push(
      `  mutations: ${[...this.byMutation]
        .sort()
        .map(([m, k]) => `${m} ${k}`)
        .join(", ")}`,
    );
    return [...lines, ...extra].join("\n");
  }
}

let gcFunction: (() => void) | undefined;

/** A full GC: `--expose-gc` when the worker has it, else the flag set at run time (V8 allows it). */
export function collectGarbage(): void {
  if (!gcFunction) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed) gcFunction = exposed;
    else {
      setFlagsFromString("--expose-gc");
      gcFunction = runInNewContext("gc") as () => void;
    }
  }
  gcFunction();
  gcFunction();
}

/** RSS in MB after two full GCs and a turn of the event loop (sockets closed, buffers freed). */
export async function settledRssMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().rss / 1024 / 1024;
}

/** Closes the kept-alive client sockets (before a measurement and at the end). */
export function closeClientSockets(): void {
  agent.destroy();
}

/** "seed 123: reproduce with MMBOT_FUZZ_SEED=123 npx vitest run <file>". */
export function reproduce(seed: number, file: string): string {
  return `seed ${seed}: reproduce with MMBOT_FUZZ_SEED=${seed} npx vitest run ${file}`;
}
