import { describe, expect, it } from "vitest";
import { fromWireEvent, type SlashEnvelope } from "../../src/bot/envelope.js";
import { decide, defaultPolicy, stripLeadingMention, type Policy } from "../../src/bot/policy.js";
import type { Post, UserProfile } from "../../src/mattermost/types.js";

const me = { id: "botid", username: "todobot", is_bot: true } as UserProfile;
const alice = { id: "aliceid", username: "alice", is_bot: false } as UserProfile;
const otherBot = { id: "otherbot", username: "helper", is_bot: true } as UserProfile;

function posted(
  message: string,
  opts: {
    user?: UserProfile;
    channelType?: string;
    channelName?: string;
    mentions?: string[];
    props?: Record<string, unknown>;
    type?: string;
  } = {},
) {
  const post = {
    id: "p1",
    user_id: (opts.user ?? alice).id,
    channel_id: "c1",
    root_id: "",
    message,
    props: opts.props ?? {},
    type: opts.type ?? "",
  } as Post;
  return fromWireEvent({
    source: "websocket",
    event: "posted",
    post,
    data: {
      post: JSON.stringify(post),
      channel_type: opts.channelType ?? "O",
      channel_name: opts.channelName ?? "town-square",
      ...(opts.mentions ? { mentions: JSON.stringify(opts.mentions) } : {}),
    },
  });
}
const policy = (p: Partial<Policy>): Policy => ({ ...defaultPolicy, allowedUsers: "*", ...p });

describe("policy", () => {
  it("never answers its own posts or system posts", () => {
    expect(decide(posted("hi", { user: me }), me, { sender: me }, policy({}))).toMatchObject({
      action: "drop",
    });
    expect(
      decide(
        posted("alice joined", { type: "system_add_to_channel" }),
        me,
        { sender: alice },
        policy({}),
      ),
    ).toMatchObject({ action: "drop" });
  });

  it("ignores other bots and webhook posts by default, not when asked", () => {
    expect(
      decide(posted("hi", { user: otherBot }), me, { sender: otherBot }, policy({})),
    ).toMatchObject({ action: "drop" });
    expect(
      decide(posted("hi", { props: { from_webhook: "true" } }), me, { sender: alice }, policy({})),
    ).toMatchObject({ action: "drop" });
    expect(
      decide(
        posted("hi", { user: otherBot }),
        me,
        { sender: otherBot },
        policy({ ignoreBots: false }),
      ),
    ).toEqual({ action: "handle" });
  });

  it("allowed users: empty denies all, * allows all, a list by id or username", () => {
    const mention = posted("@todobot list", { mentions: ["botid"] });
    expect(decide(mention, me, { sender: alice }, policy({ allowedUsers: [] }))).toMatchObject({
      action: "refuse",
    });
    expect(
      decide(posted("just chatting"), me, { sender: alice }, policy({ allowedUsers: [] })),
    ).toMatchObject({ action: "drop" });
    expect(decide(mention, me, { sender: alice }, policy({ allowedUsers: "*" }))).toEqual({
      action: "handle",
    });
    expect(decide(mention, me, { sender: alice }, policy({ allowedUsers: ["alice"] }))).toEqual({
      action: "handle",
    });
    expect(decide(mention, me, { sender: alice }, policy({ allowedUsers: ["@alice"] }))).toEqual({
      action: "handle",
    });
    expect(decide(mention, me, { sender: alice }, policy({ allowedUsers: ["aliceid"] }))).toEqual({
      action: "handle",
    });
    expect(decide(mention, me, { sender: alice }, policy({ allowedUsers: ["bob"] }))).toMatchObject(
      { action: "refuse" },
    );
  });

  it("mention-only: a mention or a DM passes, other messages don't", () => {
    const p = policy({ mentionOnly: true });
    expect(decide(posted("todo list"), me, { sender: alice }, p)).toMatchObject({ action: "drop" });
    expect(decide(posted("@todobot list"), me, { sender: alice }, p)).toEqual({ action: "handle" });
    expect(decide(posted("hey", { mentions: ["botid"] }), me, { sender: alice }, p)).toEqual({
      action: "handle",
    });
    expect(decide(posted("list", { channelType: "D" }), me, { sender: alice }, p)).toEqual({
      action: "handle",
    });
    expect(decide(posted("mail @todobot.example"), me, { sender: alice }, p)).toMatchObject({
      action: "drop",
    });
  });

  it("mention-only: a post in a thread an app follows passes, and a user not allowed there is ignored, not refused", () => {
    const p = policy({ mentionOnly: true, allowedUsers: ["alice"] });
    expect(decide(posted("and then?"), me, { sender: alice, inFollowedThread: true }, p)).toEqual({
      action: "handle",
    });
    const bob = { id: "bobid", username: "bob", is_bot: false } as UserProfile;
    expect(
      decide(posted("and then?", { user: bob }), me, { sender: bob, inFollowedThread: true }, p),
    ).toMatchObject({ action: "drop", reason: "user not allowed" });
  });

  it("restricts to the configured channels by id or name", () => {
    expect(
      decide(
        posted("@todobot list", { channelName: "ops" }),
        me,
        { sender: alice },
        policy({ channels: ["ops"] }),
      ),
    ).toEqual({ action: "handle" });
    expect(
      decide(posted("@todobot list"), me, { sender: alice }, policy({ channels: ["ops"] })),
    ).toMatchObject({ action: "drop" });
    expect(
      decide(posted("@todobot list"), me, { sender: alice }, policy({ channels: ["c1"] })),
    ).toEqual({ action: "handle" });
  });

  it("refuses slash commands, clicks and dialogs of users not allowed, and in channels not served", () => {
    const slash = (
      user: { id: string; name: string },
      channel = { id: "c1", name: "town-square", type: "" },
    ): SlashEnvelope => ({
      kind: "slash",
      id: "t1",
      source: "http",
      channel,
      teamId: "team",
      user,
      payload: {
        command: "/todo",
        text: "",
        channel_id: channel.id,
        channel_name: channel.name,
        team_id: "team",
        team_domain: "acme",
        user_id: user.id,
        user_name: user.name,
        trigger_id: "t1",
        response_url: "",
      },
    });
    const aliceRef = { id: "aliceid", name: "alice" };
    expect(decide(slash(aliceRef), me, {}, policy({ allowedUsers: ["alice"] }))).toEqual({
      action: "handle",
    });
    expect(decide(slash(aliceRef), me, {}, policy({ allowedUsers: [] }))).toMatchObject({
      action: "refuse",
      text: "notAllowed",
    });
    // a dialog names no user: the name looked up by the pipeline counts
    expect(
      decide(
        slash({ id: "aliceid", name: "" }),
        me,
        { sender: alice },
        policy({ allowedUsers: ["alice"] }),
      ),
    ).toEqual({ action: "handle" });
    expect(decide(slash(aliceRef), me, {}, policy({ channels: ["ops"] }))).toMatchObject({
      action: "refuse",
      text: "wrongChannel",
    });
    expect(
      decide(
        slash(aliceRef, { id: "c2", name: "", type: "" }),
        me,
        { channelName: "ops" },
        policy({ channels: ["ops"] }),
      ),
    ).toEqual({ action: "handle" });
  });

  it("drops reactions of the bot itself, of other bots and of users not allowed", () => {
    const reaction = (userId: string) =>
      fromWireEvent({
        source: "websocket",
        event: "reaction_added",
        data: {
          reaction: JSON.stringify({
            user_id: userId,
            post_id: "p1",
            emoji_name: "tada",
            create_at: 1,
          }),
        },
        broadcast: { omit_users: null, user_id: "", channel_id: "c1", team_id: "" },
      });
    expect(reaction("aliceid")).toMatchObject({
      kind: "reaction",
      added: true,
      reaction: { emoji_name: "tada" },
      channel: { id: "c1" },
    });
    expect(decide(reaction("aliceid"), me, { sender: alice }, policy({}))).toEqual({
      action: "handle",
    });
    expect(decide(reaction("botid"), me, { sender: me }, policy({}))).toMatchObject({
      action: "drop",
    });
    expect(decide(reaction("otherbot"), me, { sender: otherBot }, policy({}))).toMatchObject({
      action: "drop",
    });
    expect(
      decide(reaction("aliceid"), me, { sender: alice }, policy({ allowedUsers: ["bob"] })),
    ).toMatchObject({ action: "drop" });
  });

  it("strips the leading mention", () => {
    expect(stripLeadingMention("@todobot add milk", "todobot")).toBe("add milk");
    expect(stripLeadingMention("@TodoBot: list", "todobot")).toBe("list");
    expect(stripLeadingMention("@todobot2 list", "todobot")).toBe("@todobot2 list");
    expect(stripLeadingMention("list", "todobot")).toBe("list");
  });
});
