/**
 * Regressions found by the fuzz suite (test/fuzz/sandbox.fuzz.test.ts): the sandbox answers
 * hostile input with the server's 400 body, never a 5xx or fastify's own body.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Sandbox, type SeedResult } from "../../src/sandbox/index.js";

let sandbox: Sandbox;
let seed: SeedResult;

beforeAll(async () => {
  sandbox = await Sandbox.start();
  seed = sandbox.seed();
});
afterAll(() => sandbox.close());

async function call(method: string, path: string, body?: string) {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${seed.users.alice.token}`,
      "content-type": "application/json",
    },
    body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("hostile input to the sandbox", () => {
  it("refuses JSON nested past 1,000 levels with invalid_body_param (a dialog submission overflowed the stack: 500)", async () => {
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    const submit = await call(
      "POST",
      "/api/v4/actions/dialogs/submit",
      `{"url":"http://127.0.0.1:1/d","callback_id":"c","channel_id":"${seed.channels.ops.id}","submission":{"a":${deep}}}`,
    );
    expect(submit).toMatchObject({
      status: 400,
      body: {
        id: "api.context.invalid_body_param.app_error",
        message: "Invalid or missing dialog in request body.",
        status_code: 400,
      },
    });
    const post = await call(
      "POST",
      "/api/v4/posts",
      `{"channel_id":"${seed.channels.ops.id}","message":"x","props":{"a":${deep}}}`,
    );
    expect(post).toMatchObject({
      status: 400,
      body: { id: "api.context.invalid_body_param.app_error", status_code: 400 },
    });
    const hook = sandbox.createIncomingWebhook(seed.users.admin.user.id, {
      channel_id: seed.channels.ops.id,
    });
    const incoming = await fetch(`${sandbox.url}/hooks/${hook.id}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"text":"x","props":${deep}}`,
    });
    expect(incoming.status).toBe(400);
    expect(
      await call(
        "POST",
        "/api/v4/posts",
        `{"channel_id":"${seed.channels.ops.id}","message":"shallow","props":{"a":${"[".repeat(50)}${"]".repeat(50)}}}`,
      ),
    ).toMatchObject({ status: 201 });
  });

  it("refuses an id longer than fastify's router allows with the server's invalid_url_param, not fastify's 414", async () => {
    const patch = await call("PUT", `/api/v4/posts/${"a".repeat(300)}/patch`, '{"message":"x"}');
    expect(patch).toMatchObject({
      status: 400,
      body: { id: "api.context.invalid_url_param.app_error", status_code: 400 },
    });
  });
});
