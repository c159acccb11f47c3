/**
 * Images attached to a post, with vision on: real PNG files uploaded to the sandbox by a user,
 * downloaded by the bot over the REST API, and sent to the model (the OpenAI-compatible test
 * server) as image parts; what is over the limits is said in the thread.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { agent, mcpServer } from "../../src/apps/agent/index.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import type { Post } from "../../src/mattermost/types.js";
import { loadConfig } from "../../src/service/config.js";
import { until } from "../helpers/cli.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { OpenAiTestServer, type RecordedRequest } from "../helpers/openai-server.js";

/** A 1×1 PNG (a real one: any decoder reads it). */
const DOT_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
/** The docs' screenshot: a real PNG of 133 KB, over the test's 0.1 MB limit. */
const BIG_PNG = readFileSync(new URL("../../docs/images/sandbox-page.png", import.meta.url));

const EVERYTHING = join(
  import.meta.dirname,
  "../../node_modules/@modelcontextprotocol/server-everything/dist",
);

type Part = { type: string; text?: string; image_url?: { url: string } };
const lastTurn = (r: RecordedRequest) => r.body.messages?.at(-1)?.content as string | Part[];
const textOf = (content: string | Part[]) =>
  typeof content === "string" ? content : content.map((p) => p.text ?? "").join("");

describe("the agent with vision", () => {
  let h: Harness;
  let model: OpenAiTestServer;
  let alice: MattermostClient;

  beforeAll(async () => {
    model = await OpenAiTestServer.start();
    h = await startHarness({
      setup: (bot) =>
        void bot.use(
          agent({
            url: model.url,
            model: "test-model",
            vision: { maxImages: 2, maxImageBytes: 104_858 },
            editIntervalMs: 100,
            tools: [
              mcpServer({
                name: "every",
                command: process.execPath,
                args: [join(EVERYTHING, "index.js"), "stdio"],
              }),
            ],
          }),
        ),
    });
    alice = new MattermostClient({ url: h.sandbox.url, token: h.seed.users.alice.token });
  });
  afterAll(async () => {
    await h?.close();
    await model?.close();
  });
  beforeEach(() => {
    model.otherwise((r) => ({ chunks: ["Seen: ", textOf(lastTurn(r)).slice(0, 30), " [end]"] }));
  });

  const ops = () => h.seed.channels.ops.id;
  const ask = async (message: string, files: [string, Uint8Array][], rootId?: string) => {
    const ids = [];
    for (const [name, bytes] of files) ids.push((await alice.uploadFile(ops(), name, bytes)).id);
    return alice.createPost({ channel_id: ops(), message, file_ids: ids, root_id: rootId });
  };
  const answer = (post: Post, pattern: RegExp) =>
    until(
      () => h.botPostsInThread(post).find((p) => pattern.test(p.message)),
      `an answer matching ${pattern}`,
      5_000,
    );

  it("sends an attached PNG to the model as an image part, beside the text and a text file", async () => {
    const question = await ask("@todobot what is in this picture?", [
      ["dot.png", DOT_PNG],
      ["notes.txt", new TextEncoder().encode("a note")],
    ]);
    const reply = await answer(question, /^Seen: .*\[end\]$/);
    expect(reply.message).not.toContain("Not sent");
    const request = model.chats.find((r) => textOf(lastTurn(r)).includes("what is in this"))!;
    expect(lastTurn(request)).toEqual([
      {
        type: "text",
        text: "alice: what is in this picture?\n\n(attached: dot.png, sent as an image)\n\n--- file notes.txt ---\na note\n--- end of notes.txt ---",
      },
      {
        type: "image_url",
        image_url: { url: `data:image/png;base64,${DOT_PNG.toString("base64")}` },
      },
    ]);
  });

  it("says in the thread which images were over the limits, and sends the others", async () => {
    const question = await ask("@todobot compare these", [
      ["one.png", DOT_PNG],
      ["two.png", DOT_PNG],
      ["screenshot.png", BIG_PNG],
      ["three.png", DOT_PNG],
    ]);
    const reply = await answer(question, /\[end\]$/);
    expect(reply.message).toBe(
      "_Not sent to the model: screenshot.png (over the 0.1 MB limit), three.png (over the limit of 2 images)._\n\nSeen: alice: compare these\n\n(attache [end]",
    );
    const turn = lastTurn(model.chats.find((r) => textOf(lastTurn(r)).includes("compare these"))!);
    expect(Array.isArray(turn) && turn.filter((p) => p.type === "image_url").length).toBe(2);
    expect(textOf(turn)).toContain(
      "(attached: screenshot.png, an image over 0.1 MB: not sent)\n\n(attached: three.png, an image over the limit of 2 images: not sent)",
    );

    // a follow-up in the thread: the images go again within the limit, the notice is not repeated
    // and is not part of what the bot said
    const followUp = await ask("and now?", [], question.id);
    const second = await until(
      () =>
        h.botPostsInThread(question).find((p) => p.id !== reply.id && /\[end\]$/.test(p.message)),
      "the follow-up's answer",
      5_000,
    );
    expect(second.message).not.toContain("Not sent");
    const request = model.chats.find((r) => textOf(lastTurn(r)).includes("and now?"))!;
    const assistant = request.body.messages!.find((m) => m.role === "assistant")!;
    expect(assistant.content).not.toContain("Not sent");
    const earlier = request.body.messages!.find((m) =>
      textOf(m.content).includes("compare these"),
    )!;
    expect(
      (earlier.content as unknown as Part[]).filter((p) => p.type === "image_url"),
    ).toHaveLength(2);
    expect(followUp.root_id).toBe(question.id);
  });

  it("passes an MCP tool's image to the model as an image part after the tool's result", async () => {
    const { MCP_TINY_IMAGE } = (await import(join(EVERYTHING, "tools/get-tiny-image.js"))) as {
      MCP_TINY_IMAGE: string;
    };
    model.next({
      chunks: [],
      toolCalls: [{ id: "img1", name: "every__get-tiny-image", arguments: "{}" }],
    });
    const question = await ask("@todobot show me the logo", []);
    await answer(question, /\[end\]$/);
    const after = model.chats.find((r) =>
      r.body.messages?.some(
        (m) => m.role === "tool" && (m as { tool_call_id?: string }).tool_call_id === "img1",
      ),
    )!;
    const messages = after.body.messages!;
    const tool = messages.findIndex((m) => m.role === "tool");
    expect(messages[tool]!.content).toContain("[image image/png, ");
    expect(messages[tool + 1]).toEqual({
      role: "user",
      content: [
        { type: "text", text: "(the images the tools returned)" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${MCP_TINY_IMAGE}` } },
      ],
    });
  });
});

describe("vision in mmbot.toml", () => {
  const load = (keys: string) => {
    const dir = mkdtempSync(join(tmpdir(), "mmbot-vision-"));
    writeFileSync(
      join(dir, "mmbot.toml"),
      `[agent]\nurl = "http://127.0.0.1:8080/v1"\nmodel = "m"\n${keys}`,
    );
    return loadConfig({ path: join(dir, "mmbot.toml"), env: {} }).agent;
  };

  it("is off by default, with limits of 4 images and 5 MB; a bad limit is named", () => {
    expect(load("")).toMatchObject({ vision: false, vision_max_images: 4, vision_max_image_mb: 5 });
    expect(load("vision = true\nvision_max_images = 2\nvision_max_image_mb = 0.5")).toMatchObject({
      vision: true,
      vision_max_images: 2,
      vision_max_image_mb: 0.5,
    });
    expect(() => load("vision_max_images = 0")).toThrow(
      /agent\.vision_max_images.*expected 1 or more/,
    );
  });
});
