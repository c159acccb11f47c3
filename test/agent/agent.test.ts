/**
 * The agent end to end: the sandbox over real HTTP and WebSocket, the bot with the agent app,
 * and the OpenAI-compatible test server as the model. What a user sees in the thread, and
 * what the model was sent.
 */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { agent } from "../../src/apps/agent/index.js";
import { MattermostClient } from "../../src/mattermost/rest.js";
import type { Post } from "../../src/mattermost/types.js";
import { until } from "../helpers/cli.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { OpenAiTestServer, type RecordedRequest } from "../helpers/openai-server.js";

const KEY = "sk-test-secret-0123456789";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lastUser = (r: RecordedRequest) => r.body.messages?.at(-1)?.content ?? "";

describe("the agent app", () => {
  let h: Harness;
  let model: OpenAiTestServer;
  let unreachable = false;
  const logLines: string[] = [];
  const toolRuns: Record<string, unknown>[] = [];

  beforeAll(async () => {
    model = await OpenAiTestServer.start();
    model.requiredKey = KEY;
    const logStream = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    h = await startHarness({
      bot: { logger: pino({ level: "debug" }, logStream) },
      setup: (bot) =>
        void bot.use(
          agent({
            url: model.url,
            model: "test-model",
            apiKey: KEY,
            systemPrompt: "You are the Acme team's assistant.",
            timeoutMs: 1_500,
            historyMaxTokens: 6_000,
            followThreadsMinutes: 60,
            allowedUsers: ["alice", "bob"],
            editIntervalMs: 200,
            maxToolRounds: 2,
            tools: [
              {
                name: "weather",
                description: "The weather in a city",
                parameters: {
                  type: "object",
                  properties: { city: { type: "string" } },
                  required: ["city"],
                },
                run: (args) => {
                  toolRuns.push(args);
                  if (args.city === "Atlantis") throw new Error("no such city");
                  return `sunny, 21 °C in ${String(args.city)}`;
                },
              },
            ],
            transformHistory: (messages, question) => {
              if (question.message.includes("break-history"))
                throw new Error("a bug in the developer's transform");
              return question.message.includes("with-context")
                ? [...messages, { role: "system", content: "Today is Tuesday." }]
                : messages;
            },
            transformAnswer: async function* (pieces, question) {
              for await (const piece of pieces)
                yield question.message.includes("shout") ? piece.toUpperCase() : piece;
            },
            typingIntervalMs: 250,
            // the endpoint's address made unreachable on demand: a real refused connection
            fetch: (input, init) =>
              fetch(unreachable ? "http://127.0.0.1:9/v1/chat/completions" : input, init),
          }),
        ),
    });
  });
  afterAll(async () => {
    await h.close();
    await model.close();
  });
  beforeEach(() => {
    model.otherwise((r) => ({ chunks: ["You said: ", lastUser(r)] }));
  });

  const ops = () => h.seed.channels.ops.id;
  /** The bot's answer in the thread of `post` once its text stops changing and matches. */
  const answerMatching = (post: Post, pattern: RegExp, timeoutMs = 5_000) =>
    until(
      () => h.botPostsInThread(post).find((p) => pattern.test(p.message)),
      `an answer matching ${pattern}`,
      timeoutMs,
    );

  it("answers a mention in the thread, streamed, with the system prompt first and the key sent", async () => {
    model.next({ chunks: ["Hello", " alice,", " how", " can", " I help?"], delayMs: 150 });
    const question = h.say("alice", ops(), "@todobot hello there");
    const first = await h.replyTo(question);
    expect(first.message.length).toBeLessThan("Hello alice, how can I help?".length);
    await answerMatching(question, /^Hello alice, how can I help\?$/);
    const request = model.chats.at(-1)!;
    expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request.body.stream).toBe(true);
    expect(request.body.messages).toEqual([
      { role: "system", content: "You are the Acme team's assistant." },
      { role: "user", content: "alice: hello there" },
    ]);
  });

  it("rebuilds the history from the thread: several users, edited as edited, deleted left out; follows without a mention", async () => {
    const root = h.say("alice", ops(), "@todobot remember the word apricot");
    await answerMatching(root, /apricot/);
    const wrong = h.say("bob", ops(), "the word is banana", root.id);
    await answerMatching(root, /banana/);
    h.sandbox.editPost(h.seed.users.bob.user.id, wrong.id, "the word is cherry");
    const deleted = h.say("alice", ops(), "@todobot secret: durian", root.id);
    await answerMatching(root, /durian/);
    h.sandbox.deletePost(h.seed.users.alice.user.id, deleted.id);
    const question = h.say("alice", ops(), "which words did we say?", root.id); // no mention: the bot follows the thread
    await answerMatching(root, /which words/);
    const messages = model.chats.find((r) => lastUser(r).includes("which words"))!.body.messages!;
    expect(messages[0]!.role).toBe("system");
    expect(messages.slice(1).map((m) => `${m.role} ${m.content}`)).toEqual([
      "user alice: remember the word apricot",
      "assistant You said: alice: remember the word apricot",
      "user bob: the word is cherry",
      "assistant You said: bob: the word is banana",
      "assistant You said: alice: secret: durian", // the question was deleted; the bot's answer stays
      "user alice: which words did we say?",
    ]);
    void question;
  });

  it("stops following a thread at !leave", async () => {
    const root = h.say("bob", ops(), "@todobot first");
    await answerMatching(root, /first/);
    h.say("bob", ops(), "!leave", root.id);
    await answerMatching(root, /Leaving this thread/);
    const before = model.chats.length;
    h.say("bob", ops(), "are you still there?", root.id);
    await sleep(600);
    expect(model.chats.length).toBe(before);
    expect(h.botPostsInThread(root).some((p) => /still there/.test(p.message))).toBe(false);
  });

  it("goes on following a thread after a restart (the store keeps which threads it follows)", async () => {
    const root = h.say("alice", ops(), "@todobot before the restart");
    await answerMatching(root, /before the restart/);
    await h.restartBot();
    h.say("alice", ops(), "after the restart", root.id);
    await answerMatching(root, /You said: alice: after the restart/);
  });

  it("shows typing in the thread until the first text, then not", async () => {
    model.next({ chunks: ["late", " answer"], firstDelayMs: 900 });
    const typing: { at: number; parent: string }[] = [];
    const off = h.sandbox.onEvent((e) => {
      if (e.event === "typing" && e.data.user_id === h.seed.bot.user.id)
        typing.push({ at: Date.now(), parent: String(e.data.parent_id) });
    });
    const question = h.say("alice", ops(), "@todobot take your time");
    const first = await h.replyTo(question, { timeoutMs: 5_000 });
    await answerMatching(question, /late answer/);
    await sleep(400);
    off();
    expect(typing.filter((t) => t.at < first.create_at).length).toBeGreaterThanOrEqual(3);
    expect(typing.every((t) => t.parent === question.id)).toBe(true);
    expect(typing.filter((t) => t.at > first.create_at + 100)).toEqual([]);
  });

  it.each([
    [
      { status: 401, errorMessage: `Incorrect API key provided: ${KEY}` },
      /refused the API key \(HTTP 401\)/,
    ],
    [{ status: 403 }, /refused the API key \(HTTP 403\)/],
    [{ status: 404 }, /does not know the model "test-model" \(HTTP 404\)/],
    [
      { status: 429, retryAfter: "30" },
      /rate limiting requests \(HTTP 429\)\. Try again in 30 seconds/,
    ],
    [{ status: 503 }, /model provider failed \(HTTP 503\)/],
    [{ stallAfter: 0 }, /did not answer within 2 seconds/],
    [{ resetAfter: 1, chunks: ["partial", " more"] }, /^partial\n\n⚠️ The model provider failed/],
  ])("tells the thread in plain words when the model fails: %o", async (reply, text) => {
    model.next(reply);
    const question = h.say("alice", ops(), "@todobot this will fail");
    const answer = await answerMatching(question, text, 6_000);
    expect(answer.message).not.toMatch(/at .*\.js|Error:/); // no stack trace, no error class
  });

  it("says so when the endpoint is unreachable", async () => {
    unreachable = true;
    try {
      const question = h.say("alice", ops(), "@todobot anyone?");
      await answerMatching(question, /cannot reach the model endpoint/);
    } finally {
      unreachable = false;
    }
  });

  it("retries a context too long once with fewer turns, then says it", async () => {
    const root = h.say("alice", ops(), "@todobot one");
    await answerMatching(root, /one/);
    h.say("alice", ops(), "two", root.id);
    await answerMatching(root, /two/);
    model.next({ contextTooLong: true }, { chunks: ["shorter works"] });
    const asked = model.chats.length;
    h.say("alice", ops(), "three", root.id);
    await answerMatching(root, /shorter works/);
    const [tooLong, retry] = model.chats.slice(asked);
    expect(retry!.body.messages!.length).toBeLessThan(tooLong!.body.messages!.length);
    expect(lastUser(retry!)).toBe("alice: three");

    model.next({ contextTooLong: true }, { contextTooLong: true });
    h.say("alice", ops(), "four", root.id);
    await answerMatching(root, /too long for the model/);
  });

  it.each([
    ["a 🛑 on the answer", "answer"],
    ["a 🛑 on the question", "question"],
    ["!stop in the thread", "command"],
  ])(
    "stops the answer at %s: the request is aborted, the partial text kept and marked",
    async (_name, how) => {
      model.next({ chunks: ["I will talk", " forever"], stallAfter: 1 });
      const question = h.say("bob", ops(), "@todobot talk");
      const partial = await answerMatching(question, /^I will talk$/);
      const request = model.chats.at(-1)!;
      if (how === "answer") h.sandbox.react(h.seed.users.bob.user.id, partial.id, "octagonal_sign");
      else if (how === "question")
        h.sandbox.react(h.seed.users.bob.user.id, question.id, "octagonal_sign");
      else h.say("bob", ops(), "!stop", question.id);
      await model.waitForRequest((r) => r === request && r.aborted, 3_000);
      await answerMatching(question, /^I will talk\n\n_\(stopped\)_$/);
    },
  );

  it("answers a message sent while an answer streams after it, and other threads of the channel meanwhile", async () => {
    model.otherwise((r) =>
      lastUser(r).includes("slow")
        ? { chunks: ["slow ", "answer ", "done"], delayMs: 400 }
        : { chunks: ["quick: ", lastUser(r)] },
    );
    const root = h.say("alice", ops(), "@todobot slow please");
    await h.replyTo(root);
    const followUp = h.say("alice", ops(), "and then this", root.id);
    const other = h.say("bob", ops(), "@todobot other thread");
    const otherAnswer = await answerMatching(other, /quick: bob: other thread/);
    const slowAnswer = await answerMatching(root, /^slow answer done$/);
    expect(otherAnswer.update_at).toBeLessThan(slowAnswer.update_at); // not held up by the slow thread
    await answerMatching(root, /quick: alice: and then this/);
    const followRequest = model.chats.find((r) => lastUser(r).includes("and then this"))!;
    expect(followRequest.body.messages!.map((m) => m.content)).toContain("slow answer done"); // asked after the first answer ended
    void followUp;
  });

  it("runs five threads at once, each request carrying only its own thread", async () => {
    // each answer takes a second (under the test config's 2 s stall limit): five one after another would not overlap
    model.otherwise((r) => ({ chunks: ["echo ", lastUser(r)], delayMs: 1_000, firstDelayMs: 100 }));
    const started = model.chats.length;
    const roots = [1, 2, 3, 4, 5].map((n) =>
      h.say(n % 2 ? "alice" : "bob", ops(), `@todobot thread number ${n}`),
    );
    await Promise.all(
      roots.map((root, i) => answerMatching(root, new RegExp(`echo .*thread number ${i + 1}$`))),
    );
    const requests = model.chats.slice(started);
    expect(requests).toHaveLength(5);
    for (const r of requests)
      expect(r.body.messages!.filter((m) => m.role !== "system")).toHaveLength(1);
    // side by side: every answer had begun before the first one ended (one after another, none would have)
    const firstEnd = Math.min(...requests.map((r) => r.endedAt!));
    for (const r of requests) expect(r.firstChunkAt!).toBeLessThan(firstEnd);
  });

  it("does not reach the model for a user outside its allowed users", async () => {
    const before = model.chats.length;
    const question = h.say("admin", ops(), "@todobot am I allowed?");
    await sleep(600);
    expect(model.chats.length).toBe(before);
    expect(h.botPostsInThread(question)).toEqual([]);
    // told privately (the bot may not post ephemerally here, so in a direct message)
    const dm = await until(
      () =>
        h.sandbox
          .channelPosts(h.sandbox.directChannel(h.seed.users.admin.user.id, h.seed.bot.user.id).id)
          .at(-1),
      "the refusal",
    );
    expect(dm.message).toMatch(/not allowed to ask the assistant/);
  });

  it("ends a running answer when the bot stops: the text so far lands, marked stopped", async () => {
    model.next({ chunks: ["halfway", " there"], stallAfter: 1 });
    const question = h.say("alice", ops(), "@todobot a long one");
    await answerMatching(question, /^halfway$/);
    const request = model.chats.at(-1)!;
    await h.restartBot();
    expect(request.aborted).toBe(true);
    expect(h.botPostsInThread(question).map((p) => p.message)).toEqual(["halfway\n\n_(stopped)_"]);
    await answerMatching(h.say("alice", ops(), "@todobot back?"), /You said: alice: back\?/); // the new bot answers
  });

  it("runs the model's tool calls and sends the results back, each step a line of its own", async () => {
    model.next(
      {
        chunks: ["Let me check."],
        toolCalls: [{ id: "call_1", name: "weather", arguments: '{"city":"Paris"}' }],
      },
      { chunks: ["It is sunny in Paris."] },
    );
    const question = h.say("alice", ops(), "@todobot weather in Paris?");
    await answerMatching(
      question,
      /^Let me check\.\n\n_Using the tool weather…_\n\nIt is sunny in Paris\.$/,
    );
    const [first, second] = model.chats.slice(-2);
    expect(first!.body.tools).toEqual([
      {
        type: "function",
        function: {
          name: "weather",
          description: "The weather in a city",
          parameters: expect.objectContaining({ required: ["city"] }),
        },
      },
    ]);
    expect(second!.body.messages!.slice(-2)).toEqual([
      {
        role: "assistant",
        content: "Let me check.",
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "weather", arguments: '{"city":"Paris"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_1", content: "sunny, 21 °C in Paris" },
    ]);
  });

  it("runs tool calls streamed in pieces, interleaved by index, once each with the whole arguments", async () => {
    model.next(
      {
        chunks: [],
        toolCallPieces: [
          { index: 0, id: "call_a" },
          { index: 1, id: "call_" },
          { index: 0, name: "weather" },
          { index: 1, id: "b", name: "wea" },
          { index: 0, name: "weather", arguments: '{"ci' }, // a server that repeats the name in every piece
          { index: 1, name: "ther", arguments: '{"city":' },
          { index: 0, arguments: 'ty": "Par' },
          { index: 1, arguments: '"Rome"}' },
          { index: 0, arguments: 'is"}' },
        ],
      },
      { chunks: ["Sunny in both."] },
    );
    const runsBefore = toolRuns.length;
    const question = h.say("alice", ops(), "@todobot weather in Paris and Rome?");
    await answerMatching(
      question,
      /^_Using the tool weather…_\n\n_Using the tool weather…_\n\nSunny in both\.$/,
    );
    expect(toolRuns.slice(runsBefore)).toEqual([{ city: "Paris" }, { city: "Rome" }]);
    expect(model.chats.at(-1)!.body.messages!.slice(-3)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_a",
            type: "function",
            function: { name: "weather", arguments: '{"city": "Paris"}' },
          },
          {
            id: "call_b",
            type: "function",
            function: { name: "weather", arguments: '{"city":"Rome"}' },
          },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "sunny, 21 °C in Paris" },
      { role: "tool", tool_call_id: "call_b", content: "sunny, 21 °C in Rome" },
    ]);
  });

  it("tells the model when a tool fails, and ends after the bounded rounds", async () => {
    model.next(
      { toolCalls: [{ id: "c1", name: "weather", arguments: '{"city":"Atlantis"}' }] },
      { chunks: ["Atlantis is not a city."] },
    );
    const failing = h.say("alice", ops(), "@todobot weather in Atlantis?");
    await answerMatching(failing, /Atlantis is not a city\.$/);
    expect(model.chats.at(-1)!.body.messages!.at(-1)).toEqual({
      role: "tool",
      tool_call_id: "c1",
      content: "error: no such city",
    });

    const call = { toolCalls: [{ id: "c", name: "weather", arguments: '{"city":"Rome"}' }] };
    model.next(call, call, call);
    const looping = h.say("alice", ops(), "@todobot loop forever");
    await answerMatching(looping, /⚠️ I stopped after 2 rounds of tool calls/);
  });

  it("lets the developer change the history sent and the answer streamed", async () => {
    const question = h.say("alice", ops(), "@todobot shout with-context please");
    await answerMatching(question, /^YOU SAID: /);
    expect(model.chats.at(-1)!.body.messages!.at(-1)).toEqual({
      role: "system",
      content: "Today is Tuesday.",
    });
    const broken = h.say("alice", ops(), "@todobot break-history");
    await answerMatching(broken, /^⚠️ Something went wrong on my side/);
    expect(logLines.join("")).toContain("a bug in the developer's transform");
  });

  it("puts text files attached to a question into its turn, marked with their names", async () => {
    const alice = new MattermostClient({ url: h.sandbox.url, token: h.seed.users.alice.token });
    const notes = await alice.uploadFile(
      ops(),
      "notes.txt",
      new TextEncoder().encode('{"not": "parsed"}\nline two'),
    );
    const image = await alice.uploadFile(ops(), "chart.png", new Uint8Array([137, 80, 78, 71]));
    const question = await alice.createPost({
      channel_id: ops(),
      message: "@todobot what do the notes say?",
      file_ids: [notes.id, image.id],
    });
    await answerMatching(question, /You said:/);
    const turn = model.chats
      .find((r) => lastUser(r).includes("what do the notes say"))!
      .body.messages!.at(-1)!.content;
    expect(turn).toBe(
      'alice: what do the notes say?\n\n--- file notes.txt ---\n{"not": "parsed"}\nline two\n--- end of notes.txt ---\n\n(attached: chart.png, not a text file: not read)',
    );
  });

  it("never writes the API key to the log", () => {
    const log = logLines.join("");
    expect(log).toContain("agent: the model request failed"); // the failures above were logged
    expect(log).not.toContain(KEY);
    const posts = [h.seed.channels.ops, h.seed.channels.townSquare].flatMap((c) =>
      h.sandbox.channelPosts(c.id),
    );
    expect(posts.some((p) => /refused the API key/.test(p.message))).toBe(true); // the 401 whose message echoed the key
    expect(posts.filter((p) => p.message.includes(KEY))).toEqual([]);
  });
});
