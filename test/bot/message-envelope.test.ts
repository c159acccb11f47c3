/** A post read over REST becomes the envelope its `posted` event would give, with one mention rule. */
import { describe, expect, it } from "vitest";
import { messageEnvelope } from "../../src/bot/envelope.js";
import type { Post } from "../../src/mattermost/types.js";

const me = { id: "botid", username: "todobot" };
const channel = { name: "ops", type: "O" as const, team_id: "t1" };

function post(message: string, extra: Partial<Post> = {}): Post {
  return {
    id: "p1",
    channel_id: "c1",
    user_id: "alice",
    root_id: "",
    message,
    create_at: 1,
    ...extra,
  } as Post;
}

describe("messageEnvelope", () => {
  it("describes the channel, team and sender as the posted event does", () => {
    const p = post("hello");
    expect(
      messageEnvelope(p, { source: "catchup", channel, sender: { username: "alice" }, me }),
    ).toEqual({
      kind: "message",
      id: "p1",
      source: "catchup",
      post: p,
      channel: { id: "c1", name: "ops", type: "O" },
      teamId: "t1",
      user: { id: "alice", name: "alice" },
      mentions: [],
    });
    expect(messageEnvelope(p, { source: "polling" })).toMatchObject({
      channel: { id: "c1", name: "", type: "" },
      teamId: "",
      user: { id: "alice", name: "" },
      mentions: [],
    });
  });

  it("lists the bot among the mentions where the server would: a DM, @name, @channel/@all/@here; never its own or a system post", () => {
    const mentions = (message: string, extra: Partial<Post> = {}, type: "O" | "D" = "O") =>
      messageEnvelope(post(message, extra), {
        source: "catchup",
        channel: { ...channel, type },
        me,
      }).mentions;
    expect(mentions("@todobot list")).toEqual(["botid"]);
    expect(mentions("thanks @todobot.")).toEqual(["botid"]);
    expect(mentions("hi @channel")).toEqual(["botid"]);
    expect(mentions("@here and @all")).toEqual(["botid"]);
    expect(mentions("list", {}, "D")).toEqual(["botid"]);
    // the policy's rule: @todobot.example is another user, as are @todobot2 and @todobot-x
    expect(mentions("mail @todobot.example")).toEqual([]);
    expect(mentions("@todobot2 list")).toEqual([]);
    expect(mentions("a@todobot")).toEqual([]);
    expect(mentions("@todobot joined", { type: "system_join_channel" })).toEqual([]);
    expect(mentions("@todobot", { user_id: "botid" }, "D")).toEqual([]);
  });

  it("keeps an outgoing webhook's trigger word", () => {
    expect(
      messageEnvelope(post("todo add x"), { source: "webhook", channel, triggerWord: "todo" }),
    ).toMatchObject({ triggerWord: "todo", mentions: [] });
  });
});
