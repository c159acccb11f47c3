import { describe, expect, it } from "vitest";
import { toBotEvent } from "../../src/bot/event.js";
import { decide, defaultPolicy, stripLeadingMention, type Policy } from "../../src/bot/policy.js";
import type { Post, UserProfile } from "../../src/mattermost/types.js";

const me = { id: "botid", username: "todobot", is_bot: true } as UserProfile;
const alice = { id: "aliceid", username: "alice", is_bot: false } as UserProfile;
const otherBot = { id: "otherbot", username: "helper", is_bot: true } as UserProfile;

function posted(message: string, opts: { user?: UserProfile; channelType?: string; channelName?: string; mentions?: string[]; props?: Record<string, unknown>; type?: string } = {}) {
  const post = { id: "p1", user_id: (opts.user ?? alice).id, channel_id: "c1", root_id: "", message, props: opts.props ?? {}, type: opts.type ?? "" } as Post;
  return toBotEvent({
    source: "websocket",
    event: "posted",
    data: { post: JSON.stringify(post), channel_type: opts.channelType ?? "O", channel_name: opts.channelName ?? "town-square", ...(opts.mentions ? { mentions: JSON.stringify(opts.mentions) } : {}) },
  });
}
const policy = (p: Partial<Policy>): Policy => ({ ...defaultPolicy, allowedUsers: "*", ...p });

describe("policy", () => {
  it("never answers its own posts or system posts", () => {
    expect(decide(posted("hi", { user: me }), me, me, policy({}))).toMatchObject({ action: "drop" });
    expect(decide(posted("alice joined", { type: "system_add_to_channel" }), me, alice, policy({}))).toMatchObject({ action: "drop" });
  });

  it("ignores other bots and webhook posts by default, not when asked", () => {
    expect(decide(posted("hi", { user: otherBot }), me, otherBot, policy({}))).toMatchObject({ action: "drop" });
    expect(decide(posted("hi", { props: { from_webhook: "true" } }), me, alice, policy({}))).toMatchObject({ action: "drop" });
    expect(decide(posted("hi", { user: otherBot }), me, otherBot, policy({ ignoreBots: false }))).toEqual({ action: "handle" });
  });

  it("allowed users: empty denies all, * allows all, a list by id or username", () => {
    const mention = posted("@todobot list", { mentions: ["botid"] });
    expect(decide(mention, me, alice, policy({ allowedUsers: [] }))).toMatchObject({ action: "refuse" });
    expect(decide(posted("just chatting"), me, alice, policy({ allowedUsers: [] }))).toMatchObject({ action: "drop" });
    expect(decide(mention, me, alice, policy({ allowedUsers: "*" }))).toEqual({ action: "handle" });
    expect(decide(mention, me, alice, policy({ allowedUsers: ["alice"] }))).toEqual({ action: "handle" });
    expect(decide(mention, me, alice, policy({ allowedUsers: ["@alice"] }))).toEqual({ action: "handle" });
    expect(decide(mention, me, alice, policy({ allowedUsers: ["aliceid"] }))).toEqual({ action: "handle" });
    expect(decide(mention, me, alice, policy({ allowedUsers: ["bob"] }))).toMatchObject({ action: "refuse" });
  });

  it("mention-only: a mention or a DM passes, other messages don't", () => {
    const p = policy({ mentionOnly: true });
    expect(decide(posted("todo list"), me, alice, p)).toMatchObject({ action: "drop" });
    expect(decide(posted("@todobot list"), me, alice, p)).toEqual({ action: "handle" });
    expect(decide(posted("hey", { mentions: ["botid"] }), me, alice, p)).toEqual({ action: "handle" });
    expect(decide(posted("list", { channelType: "D" }), me, alice, p)).toEqual({ action: "handle" });
    expect(decide(posted("mail @todobot.example"), me, alice, p)).toMatchObject({ action: "drop" });
  });

  it("restricts to the configured channels by id or name", () => {
    expect(decide(posted("@todobot list", { channelName: "ops" }), me, alice, policy({ channels: ["ops"] }))).toEqual({ action: "handle" });
    expect(decide(posted("@todobot list"), me, alice, policy({ channels: ["ops"] }))).toMatchObject({ action: "drop" });
    expect(decide(posted("@todobot list"), me, alice, policy({ channels: ["c1"] }))).toEqual({ action: "handle" });
  });

  it("strips the leading mention", () => {
    expect(stripLeadingMention("@todobot add milk", "todobot")).toBe("add milk");
    expect(stripLeadingMention("@TodoBot: list", "todobot")).toBe("list");
    expect(stripLeadingMention("@todobot2 list", "todobot")).toBe("@todobot2 list");
    expect(stripLeadingMention("list", "todobot")).toBe("list");
  });
});
