/**
 * Regressions found by the fuzz suite (test/fuzz), each through a real listener: what a hostile
 * or broken client sends is refused with a 4xx and a reason, before any handler.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpReceiver } from "../../src/http/receiver.js";
import { signActionContext } from "../../src/http/signature.js";
import { silentLogger } from "../../src/log.js";
import { BotMetrics, MetricsListener } from "../../src/metrics/index.js";

const SECRET = "a-secret-for-hostile-input-tests";
const handled: string[] = [];
let receiver: HttpReceiver;

beforeAll(async () => {
  receiver = new HttpReceiver({
    listen: "127.0.0.1:0",
    tokens: { slash: ["slashtokenslashtokenslash1"] },
    actionSecret: SECRET,
    logger: silentLogger(),
    handlers: {
      outgoingWebhook: async () => (handled.push("webhook"), {}),
      slash: async () => (handled.push("slash"), {}),
      action: async () => (handled.push("action"), {}),
      dialog: async () => (handled.push("dialog"), {}),
    },
  });
  await receiver.start();
});
afterAll(() => receiver.stop());

/** The raw answer to raw bytes: status line and body. */
function rawRequest(address: string, bytes: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let answer = "";
    socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
    socket.on("error", reject);
    socket.on("close", () =>
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0),
        body: answer.slice(answer.indexOf("\r\n\r\n") + 4),
      }),
    );
    socket.end(bytes);
  });
}

describe("hostile input to the receiver", () => {
  it("refuses JSON nested deeper than 64 levels with a 400, even under a real signature, and runs no handler", async () => {
    // a signed context plus data nested deep enough to overflow a recursive walk (the signature check's canonical JSON did)
    const context = signActionContext(SECRET, {
      actionId: "done1",
      channelId: "c1",
      expiresAtMs: Date.now() + 60_000,
      data: { item: 1 },
    });
    const body = JSON.stringify({
      user_id: "u1",
      channel_id: "c1",
      post_id: "p1",
      context: { ...context, deep: "DEEP" },
    }).replace('"DEEP"', "[".repeat(10_000) + "]".repeat(10_000));
    const response = await fetch(`${receiver.publicUrl}/actions/done1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: "the JSON body is nested deeper than 64 levels",
    });
    const shallow = JSON.stringify({
      user_id: "u1",
      channel_id: "c1",
      post_id: "p1",
      context: { ...context, deep: JSON.parse("[".repeat(60) + "]".repeat(60)) },
    });
    const wrong = await fetch(`${receiver.publicUrl}/actions/done1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: shallow,
    });
    expect(wrong.status).toBe(403); // within the limit, read and checked: the data is not what was signed
    expect(handled).toEqual([]);
  });

  it("answers a request line too large to parse with a 431 and a JSON reason, and a malformed request with a 400", async () => {
    const huge = await rawRequest(
      receiver.publicUrl,
      `GET /slash?text=${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(huge.status).toBe(431);
    expect(JSON.parse(huge.body)).toEqual({
      error: "the request line and headers are too large (at most 16 KiB)",
    });
    const broken = await rawRequest(
      receiver.publicUrl,
      "POST /slash HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    expect(broken.status).toBe(400);
    expect(JSON.parse(broken.body).error).toMatch(/^malformed HTTP request \(HPE_/);
    expect(handled).toEqual([]);
  });

  it("gives the metrics listener the same answers", async () => {
    const listener = new MetricsListener({ listen: "127.0.0.1:0", metrics: new BotMetrics() });
    await listener.start({ logger: silentLogger() } as Parameters<MetricsListener["start"]>[0]);
    try {
      const huge = await rawRequest(
        `http://${listener.address}`,
        `GET /metrics?${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      );
      expect(huge.status).toBe(431);
      expect(JSON.parse(huge.body).error).toContain("too large");
    } finally {
      await listener.stop();
    }
  });
});
