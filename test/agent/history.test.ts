/** The history's budget: the oldest turns go first, the system prompt and the question always stay. */
import { describe, expect, it } from "vitest";
import { buildHistory, estimateTokens } from "../../src/apps/agent/history.js";
import type { Post } from "../../src/mattermost/types.js";

const post = (
  id: string,
  userId: string,
  message: string,
  createAt: number,
  extra: Partial<Post> = {},
): Post =>
  ({
    id,
    user_id: userId,
    message,
    create_at: createAt,
    root_id: id === "root" ? "" : "root",
    delete_at: 0,
    type: "",
    ...extra,
  }) as Post;

describe("buildHistory", () => {
  const names = new Map([
    ["u1", "alice"],
    ["bot", "agentbot"],
  ]);
  const posts = Array.from({ length: 20 }, (_, i) =>
    post(
      i === 0 ? "root" : `p${i}`,
      i % 2 ? "bot" : "u1",
      `turn ${i} ` + "x".repeat(200),
      1_000 + i,
    ),
  );
  const question = post("q", "u1", "@agentbot the question", 5_000);

  it("drops the oldest turns to fit the budget, sorted by create_at whatever the order given", () => {
    const { messages, dropped } = buildHistory({
      posts: [...posts].reverse(),
      question,
      botId: "bot",
      botUsername: "agentbot",
      systemPrompt: "Be brief.",
      names,
      maxTokens: 400,
    });
    expect(messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(messages.at(-1)).toEqual({ role: "user", content: "alice: the question" });
    expect(messages.reduce((n, m) => n + estimateTokens(m), 0)).toBeLessThanOrEqual(400);
    expect(dropped).toBeGreaterThan(10);
    const kept = messages.slice(1, -1).map((m) => Number(/turn (\d+)/.exec(String(m.content))![1]));
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(kept.at(-1)).toBe(19); // the newest kept
  });

  it("keeps the question even when it alone is over the budget, and leaves system posts out", () => {
    const system = post("s", "u1", "alice joined the channel", 1_500, {
      type: "system_join_channel",
    });
    const { messages } = buildHistory({
      posts: [...posts, system],
      question,
      botId: "bot",
      botUsername: "agentbot",
      systemPrompt: "",
      names,
      maxTokens: 1,
    });
    expect(messages).toEqual([{ role: "user", content: "alice: the question" }]);
  });
});
