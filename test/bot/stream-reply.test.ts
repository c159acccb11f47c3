/**
 * Streaming replies for any handler, against the sandbox: the post appears with the first
 * text, is edited at most once a second, ends with the whole text; a long answer goes on in new
 * posts of the thread without losing a character; a failing edit still leaves the final text.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { layoutStream } from "../../src/bot/stream-layout.js";
import { startHarness, type Harness } from "../helpers/harness.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function* pieces(parts: string[], delayMs: number): AsyncGenerator<string> {
  for (const part of parts) {
    await sleep(delayMs);
    yield part;
  }
}

/** The paragraphs of a long answer, with a code block in the middle. */
function longAnswer(): string {
  const paragraphs: string[] = [];
  for (let i = 0; paragraphs.join("\n\n").length < 40_000; i++) {
    if (i === 30)
      paragraphs.push(
        "```ts\n" +
          Array.from({ length: 120 }, (_, n) => `const line${n} = ${n}; // some code here`).join(
            "\n",
          ) +
          "\n```",
      );
    else paragraphs.push(`Paragraph ${i}: ` + "lorem ipsum dolor sit amet ".repeat(12).trim());
  }
  return paragraphs.join("\n\n");
}

describe("ctx.reply(AsyncIterable) streams the answer", () => {
  let h: Harness;
  let failPatches = false;
  const streams = new Map<string, { parts: string[]; delayMs: number }>();

  beforeAll(async () => {
    h = await startHarness({
      setup: (bot) => {
        bot.command("stream", (ctx) => {
          const spec = streams.get(ctx.args)!;
          return ctx.reply(pieces(spec.parts, spec.delayMs));
        });
      },
      bot: {
        // a server that refuses edits, as a proxy or a permission change would
        fetch: (input, init) => {
          const url = String(input);
          if (failPatches && init?.method === "PUT" && url.endsWith("/patch"))
            return Promise.resolve(new Response("{}", { status: 403 }));
          return fetch(input, init);
        },
      },
    });
  });
  afterAll(() => h.close());

  it("creates the post at the first text, edits at most once a second, and ends with the whole text", async () => {
    const parts = Array.from({ length: 30 }, (_, i) => `word${i} `);
    streams.set("a", { parts, delayMs: 100 });
    const question = h.say("alice", h.seed.channels.ops.id, "@todobot stream a");
    const first = await h.replyTo(question, { timeoutMs: 2_000 });
    expect(first.message).toBe("word0 ");
    const final = parts.join("");
    await until(() => h.sandbox.getPost(first.id)?.message === final, 8_000);
    const edits = h.sandbox
      .trafficLog()
      .filter((e) => e.method === "PUT" && e.url.includes(`/posts/${first.id}/patch`));
    const spanSeconds = (edits.at(-1)!.at - first.create_at) / 1000;
    expect(edits.length).toBeGreaterThanOrEqual(2);
    expect(edits.length).toBeLessThanOrEqual(Math.ceil(spanSeconds) + 1); // ≤ 1 edit a second, and one last
    for (const [i, e] of edits.slice(1).entries())
      expect(e.at - edits[i]!.at).toBeGreaterThanOrEqual(700);
    expect(h.botPostsInThread(question)).toHaveLength(1);
    // the first post went out while the outbox stored it: its entry is there, marked sent
    const entry = await h.bot.store.db
      .selectFrom("outbox")
      .selectAll()
      .where("post_id", "=", first.id)
      .executeTakeFirst();
    expect(entry).toMatchObject({ status: "sent", message: "word0 ", root_id: question.id });
  });

  it("goes on in new posts of the thread past 90 % of the limit, cut at paragraphs, without loss", async () => {
    const text = longAnswer();
    const parts = text.match(/[\s\S]{1,500}/g)!;
    streams.set("long", { parts, delayMs: 2 });
    const question = h.say("bob", h.seed.channels.ops.id, "@todobot stream long");
    await h.replyTo(question, { timeoutMs: 2_000 });
    const expected = layoutStream(text);
    await until(
      () =>
        h
          .botPostsInThread(question)
          .map((p) => p.message)
          .join("|") === expected.join("|"),
      10_000,
    );
    const posts = h.botPostsInThread(question);
    expect(posts.length).toBe(3);
    for (const post of posts)
      expect(post.message.length).toBeLessThanOrEqual(Math.floor(16_383 * 0.9));
    // every paragraph is there once, in order; the parts end at paragraph ends
    const rejoined = posts.map((p) => p.message).join("\n\n");
    const paragraphs = text.split("\n\n");
    expect(rejoined.replace(/\n```\n\n```ts\n/g, "\n")).toBe(text);
    for (const post of posts.slice(0, -1))
      expect(paragraphs.some((p) => post.message.endsWith(p.split("\n").at(-1)!))).toBe(true);
  });

  it("lands the final text when edits fail: what is missing is posted", async () => {
    streams.set("fail", { parts: ["first part", " then more", " and the end"], delayMs: 50 });
    const question = h.say("alice", h.seed.channels.townSquare.id, "@todobot stream fail");
    const first = await h.replyTo(question, { timeoutMs: 2_000 });
    failPatches = true;
    try {
      await until(() => h.botPostsInThread(question).length === 2, 10_000);
    } finally {
      failPatches = false;
    }
    const messages = h.botPostsInThread(question).map((p) => p.message);
    expect(messages[0]).toBe(first.message);
    expect(messages.join("")).toBe("first part then more and the end");
  });
});

describe("a streamed answer on a server with a smaller MaxPostSize", () => {
  let h: Harness;
  let text = "";
  beforeAll(async () => {
    text = longAnswer();
    h = await startHarness({
      sandbox: { maxPostSize: 4_000 },
      setup: (bot) =>
        void bot.command("stream", (ctx) => ctx.reply(pieces(text.match(/[\s\S]{1,500}/g)!, 1))),
    });
  });
  afterAll(() => h.close());

  it("follows the server's limit (90 % of its MaxPostSize), every post taken, nothing lost", async () => {
    const question = h.say("alice", h.seed.channels.ops.id, "@todobot stream");
    const expected = layoutStream(text, 3_600);
    await until(
      () =>
        h
          .botPostsInThread(question)
          .map((p) => p.message)
          .join("|") === expected.join("|"),
      15_000,
    );
    const posts = h.botPostsInThread(question);
    expect(posts.length).toBeGreaterThanOrEqual(11); // 40,000 characters at most 3,600 a post
    for (const post of posts) expect(post.message.length).toBeLessThanOrEqual(3_600);
    expect(
      posts
        .map((p) => p.message)
        .join("\n\n")
        .replace(/\n```\n\n```ts\n/g, "\n"),
    ).toBe(text);
  });
});

describe("layoutStream", () => {
  it("keeps one part under the limit and closes and reopens a fence open at a cut", () => {
    expect(layoutStream("short")).toEqual(["short"]);
    const code =
      "```py\n" + Array.from({ length: 50 }, (_, i) => `x${i} = ${i}`).join("\n") + "\n```";
    const parts = layoutStream(code, 200);
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(200);
      expect(part.startsWith("```py\n")).toBe(true);
      expect(part.endsWith("```")).toBe(true);
    }
  });

  it("never moves a finished part as the text grows", () => {
    const text = longAnswer();
    const full = layoutStream(text);
    for (let n = 1_000; n < text.length; n += 997) {
      const partial = layoutStream(text.slice(0, n));
      for (const [i, part] of partial.slice(0, -1).entries()) expect(part).toBe(full[i]);
    }
  });
});

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(25);
  }
}
