// Loaded into the bot's process by bench/agent-e2e.js (`node --expose-gc --import`), never by
// mmbot itself: notes when each answer's first model chunk reached the bot (the response headers,
// which the bench's model sends in the same write as the first chunk, tagged with the question)
// and when the bot started its POST /posts for that thread; on SIGUSR2 it collects garbage and
// prints one `probe {…}` line with those times and the memory.
import diagnostics from "node:diagnostics_channel";
import http from "node:http";

const now = () => performance.timeOrigin + performance.now(); // ms since the epoch, sub-ms, comparable across processes
let modelAt = {}; // question tag → when its stream's first bytes were parsed
let postAt = {}; // root id → when the first POST /posts of its answer left

diagnostics.subscribe("undici:request:headers", ({ response }) => {
  const headers = response.headers; // [name, value, name, value…] as Buffers
  for (let i = 0; i < headers.length; i += 2) {
    if (String(headers[i]).toLowerCase() === "x-bench-tag")
      modelAt[String(headers[i + 1])] ??= now();
  }
});

const end = http.ClientRequest.prototype.end;
http.ClientRequest.prototype.end = function (chunk, ...rest) {
  if (this.method === "POST" && this.path === "/api/v4/posts" && typeof chunk === "string") {
    const root = /"root_id":"(\w+)"/.exec(chunk)?.[1];
    if (root) postAt[root] ??= now();
  }
  return end.call(this, chunk, ...rest);
};

process.on("SIGUSR2", () => {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  process.stdout.write(
    `probe ${JSON.stringify({ rss, heapUsed, gc: typeof globalThis.gc === "function", modelAt, postAt })}\n`,
  );
  modelAt = {};
  postAt = {};
});
