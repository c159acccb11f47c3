/**
 * The todo bot through Mattermost's HTTP integrations, driven by the sandbox over real HTTP: the
 * sandbox runs the slash command, clicks the buttons, opens and submits the dialog and fires the
 * outgoing webhook against the bot's receiver, exactly as a Mattermost server would.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { todo, TodoService } from "../../src/apps/todo/index.js";
import { todoSlash } from "../../src/apps/todo/slash.js";
import { signActionContext } from "../../src/http/signature.js";
import type { Post } from "../../src/mattermost/types.js";
import { SandboxApiError, type Sandbox, type SeedResult } from "../../src/sandbox/index.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { freePort } from "../helpers/ports.js";
import { TestSocket } from "../sandbox/ws-client.js";
import { routeUrls } from "../../src/http/routes.js";

const ACTION_SECRET = "todo-integrations-secret";

/**
 * What an admin does: registers `/todo` (and the outgoing webhook with trigger word `todo` in
 * off-topic) pointing at the bot's address, adds the bot to off-topic (a real server refuses a
 * non-member's reply with 403), and gives the bot the tokens.
 */
function integrationsFor(port: number, extra: { answerWithinMs?: number } = {}) {
  const botUrl = `http://127.0.0.1:${port}`;
  return (sandbox: Sandbox, seed: SeedResult) => {
    const admin = seed.users.admin.user.id;
    sandbox.addToChannel(seed.channels.offTopic.id, seed.bot.user.id);
    const command = sandbox.createCommand(admin, {
      team_id: seed.team.id,
      trigger: "todo",
      url: routeUrls.slash(botUrl),
    });
    const hook = sandbox.createOutgoingWebhook(admin, {
      team_id: seed.team.id,
      channel_id: seed.channels.offTopic.id,
      trigger_words: ["todo"],
      callback_urls: [routeUrls.outgoingWebhook(botUrl)],
    });
    return {
      http: {
        listen: `127.0.0.1:${port}`,
        tokens: { slash: [command.token], outgoingWebhook: [hook.token] },
        actionSecret: ACTION_SECRET,
        triggerWords: ["todo"],
        ...extra,
      },
    };
  };
}

/** A fresh channel with alice and bob, so each test has its own list. */
function newChannel(h: Harness): string {
  const channel = h.sandbox.createChannel({
    team_id: h.seed.team.id,
    name: `list-${randomBytes(4).toString("hex")}`,
  });
  h.sandbox.addToChannel(channel.id, h.seed.users.alice.user.id);
  h.sandbox.addToChannel(channel.id, h.seed.users.bob.user.id);
  return channel.id;
}

interface ShownAction {
  id: string;
  name: string;
}
interface ShownAttachment {
  text?: string;
  actions?: ShownAction[];
}

const attachmentsOf = (post: Post | undefined): ShownAttachment[] =>
  (post?.props as { attachments?: ShownAttachment[] } | undefined)?.attachments ?? [];

describe("todo bot through slash commands, buttons, dialogs and outgoing webhooks", () => {
  let h: Harness;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    const port = await freePort();
    h = await startHarness({ bot: integrationsFor(port) });
    // ephemeral answers over REST need the System Admin role (create_post_ephemeral)
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin");
    expect(h.httpUrl).toBe(`http://127.0.0.1:${port}`);
    alice = h.seed.users.alice.user.id;
    bob = h.seed.users.bob.user.id;
  });
  afterAll(() => h.close());

  /** Runs `/todo list` as alice; returns the list post it put in the channel. */
  async function listPost(channel: string): Promise<Post> {
    const answer = await h.sandbox.runSlashCommand(alice, channel, "/todo list");
    expect(answer.response_type).toBe("in_channel");
    const post = h.sandbox.channelPosts(channel).at(-1)!;
    expect(post.message).toBe(answer.text);
    return post;
  }

  it("answers /todo add and help to the user only, with the same words as in a message", async () => {
    const channel = newChannel(h);
    const added = await h.sandbox.runSlashCommand(alice, channel, "/todo add buy milk");
    expect(added).toMatchObject({ response_type: "ephemeral", text: "Added #1: buy milk" });
    expect(h.sandbox.ephemeralPosts(alice).at(-1)).toMatchObject({
      channel_id: channel,
      message: "Added #1: buy milk",
    });
    expect(h.sandbox.channelPosts(channel).some((p) => p.message.includes("buy milk"))).toBe(false);

    expect((await h.sandbox.runSlashCommand(alice, channel, "/todo done 7")).text).toMatch(
      /^There is no item #7\.\n/,
    );
    expect((await h.sandbox.runSlashCommand(alice, channel, "/todo")).text).toMatch(
      /^\*\*To-do list commands\*\*[\s\S]*\n\nHere, type them after `\/todo`/,
    );
    expect((await h.sandbox.runSlashCommand(bob, channel, "/todo done 1")).text).toBe(
      "Done #1: buy milk ✓",
    );
  });

  it("/todo list posts the list with Done and Delete per open item; a click redraws it in place for everyone", async () => {
    const channel = newChannel(h);
    await h.sandbox.runSlashCommand(alice, channel, "/todo add buy milk");
    await h.sandbox.runSlashCommand(bob, channel, "/todo add call the plumber");
    const list = await listPost(channel);
    expect(list.message).toBe("**To-do list** · 2 open");
    const shown = attachmentsOf(list).map((a) => ({
      text: a.text,
      actions: a.actions?.map((x) => `${x.id}:${x.name}`),
    }));
    expect(shown).toEqual([
      {
        text: expect.stringMatching(/^\*\*1\.\*\* buy milk · @alice/),
        actions: ["tododone1:Done", "tododelete1:Delete"],
      },
      {
        text: expect.stringMatching(/^\*\*2\.\*\* call the plumber · @bob/),
        actions: ["tododone2:Done", "tododelete2:Delete"],
      },
      { text: "", actions: ["todoadd:Add…"] },
    ]);

    const bobSees = await TestSocket.open(h.sandbox.url, { token: h.seed.users.bob.token });
    try {
      await bobSees.event("hello");
      expect(await h.sandbox.clickAction(alice, list.id, "tododone1")).toMatchObject({
        status: "OK",
      });
      const edited = h.sandbox.getPost(list.id)!;
      expect(edited.message).toMatch(
        /^\*\*To-do list\*\* · 1 open, 1 done\n\n- \*\*2\.\*\* ~~buy milk~~ ✓ · @alice · [\d-]+ [\d:]+ UTC$/,
      );
      expect(attachmentsOf(edited).map((a) => a.text ?? "")).toEqual([
        expect.stringMatching(/^\*\*1\.\*\* call the plumber/),
        "",
      ]);
      const frame = await bobSees.event("post_edited", (f) =>
        String(f.json.data?.post).includes(list.id),
      );
      expect(JSON.parse(String(frame.json.data!.post))).toMatchObject({
        id: list.id,
        message: edited.message,
      });

      // the Delete button of what is now the first row deletes the plumber, not whatever was first before
      await h.sandbox.clickAction(bob, list.id, "tododelete1");
      const after = h.sandbox.getPost(list.id)!;
      expect(after.message).not.toContain("plumber");
      expect(attachmentsOf(after)).toHaveLength(1); // only Add… is left
    } finally {
      bobSees.close();
    }
    // the plain list (numbers as last shown) agrees
    expect((await h.sandbox.runSlashCommand(alice, channel, "/todo ls")).text).toContain(
      "~~buy milk~~",
    );
  });

  it("a button names its item by id: on a stale list it still changes that item, and a second click says why nothing changed", async () => {
    const channel = newChannel(h);
    await h.sandbox.runSlashCommand(alice, channel, "/todo add buy milk");
    await h.sandbox.runSlashCommand(alice, channel, "/todo add call the plumber");
    const stale = await listPost(channel); // milk is 1, the plumber 2
    await h.sandbox.runSlashCommand(alice, channel, "/todo done 1");
    await listPost(channel); // now the plumber is 1 and milk 2
    await h.sandbox.clickAction(bob, stale.id, "tododone2"); // the stale post's plumber row
    const redrawn = h.sandbox.getPost(stale.id)!;
    expect(redrawn.message).toMatch(
      /^\*\*To-do list\*\* · 0 open, 2 done\n\n- \*\*1\.\*\* ~~buy milk~~ ✓ · .*\n- \*\*2\.\*\* ~~call the plumber~~ ✓ · /,
    );
    expect(attachmentsOf(redrawn).map((a) => a.actions?.map((x) => x.id))).toEqual([["todoadd"]]);

    await h.sandbox.runSlashCommand(alice, channel, "/todo undo 1"); // milk is open again
    const again = await listPost(channel);
    const first = await listPost(channel);
    await h.sandbox.clickAction(alice, first.id, "tododone1");
    await h.sandbox.clickAction(bob, again.id, "tododone1"); // alice was quicker
    expect(h.sandbox.ephemeralPosts(bob).at(-1)).toMatchObject({
      channel_id: channel,
      message: expect.stringMatching(/is already done: buy milk$/),
    });
    expect(h.sandbox.getPost(again.id)!.message).toContain("~~buy milk~~");
  });

  it("Add… opens the dialog; bad input comes back as field errors, good input adds the item with due date and assignee", async () => {
    const channel = newChannel(h);
    const list = await listPost(channel);
    expect(list.message).toMatch(/^The list is empty/);
    await h.sandbox.clickAction(alice, list.id, "todoadd");
    const opened = h.sandbox.lastOpenedDialog(alice)!;
    expect(opened.dialog).toMatchObject({ callback_id: "todoadd", title: "Add a to-do item" });
    expect(opened.dialog.elements!.map((e) => [e.name, e.type, e.optional])).toEqual([
      ["text", "text", false],
      ["due", "text", true],
      ["assignee", "select", true],
    ]);
    expect(h.sandbox.lastOpenedDialog(bob)).toBeUndefined();

    const submit = (submission: Record<string, unknown>) =>
      h.sandbox.submitDialog(alice, {
        url: opened.url,
        callback_id: "todoadd",
        state: opened.dialog.state,
        channel_id: channel,
        team_id: h.seed.team.id,
        submission,
      });
    expect(await submit({ text: "  ", due: "next friday", assignee: "nobody" })).toEqual({
      errors: {
        text: "Write what is to be done, e.g. buy milk.",
        due: '"next friday" is not a date: write it as YYYY-MM-DD, e.g. 2026-12-01.',
        assignee: 'There is no user "nobody": pick one from the list.',
      },
    });
    expect(await submit({ text: "book the venue", due: "2026-02-30" })).toEqual({
      errors: { due: expect.stringContaining("2026-02-30") },
    });
    const unknownId = "u".repeat(26);
    expect(await submit({ text: "book the venue", assignee: unknownId })).toEqual({
      errors: { assignee: `There is no user "${unknownId}": pick one from the list.` },
    });
    expect(await submit({ text: "book the venue", due: "2026-12-01", assignee: bob })).toEqual({});
    expect(h.sandbox.ephemeralPosts(alice).at(-1)).toMatchObject({
      channel_id: channel,
      message: "Added #1: book the venue. `/todo list` shows the list.",
    });
    // the list the dialog was opened from is redrawn with the new item, as a Done click redraws it
    expect(attachmentsOf(h.sandbox.getPost(list.id)!).map((a) => a.text)).toEqual([
      expect.stringMatching(/^\*\*1\.\*\* book the venue/),
      "",
    ]);
    expect(await submit({ text: "send invites", assignee: "@alice" })).toEqual({});

    const shown = await listPost(channel);
    expect(attachmentsOf(shown).map((a) => a.text)).toEqual([
      expect.stringMatching(/^\*\*1\.\*\* book the venue · for @bob · due 2026-12-01 · @alice · /),
      expect.stringMatching(/^\*\*2\.\*\* send invites · for @alice · @alice · /),
      "",
    ]);
    // the list the dialog was opened from has the same, signed buttons: a click on them works
    expect(attachmentsOf(h.sandbox.getPost(list.id)!).map((a) => a.text)).toEqual(
      attachmentsOf(shown).map((a) => a.text),
    );
    await h.sandbox.clickAction(alice, list.id, "tododone1");
    expect(h.sandbox.getPost(list.id)!.message).toContain("~~book the venue~~");
  });

  it("a message starting with the trigger word reaches the bot through the outgoing webhook; it answers in the thread", async () => {
    const offTopic = h.seed.channels.offTopic.id; // each post reaches the bot twice: over the webhook and the WebSocket
    const add = h.say("alice", offTopic, "todo add call the plumber");
    const reply = await h.replyTo(add);
    expect(reply.message).toBe("Added #1: call the plumber");
    const inThread = h.say("bob", offTopic, "todo list", add.id);
    const listed = await h.replyTo(inThread);
    expect(listed.root_id).toBe(add.id);
    expect(listed.message).toMatch(
      /^\*\*To-do list\*\* · 1 open\n\n- \*\*1\.\*\* call the plumber · @alice/,
    );
    await h.sandbox.settleIntegrations();
    expect(h.botPostsInThread(add)).toHaveLength(2); // each post handled once
  });

  it("refuses a click on a button signed with another secret: the sandbox reports the integration error and nothing changes", async () => {
    const channel = newChannel(h);
    await h.sandbox.runSlashCommand(alice, channel, "/todo add buy milk");
    const [milk] = await new TodoService(h.bot.store).list(channel);
    const context = signActionContext("not-the-bot-secret", {
      actionId: "tododone1",
      channelId: channel,
      expiresAtMs: Date.now() + 60_000,
      data: { item: milk!.item.id },
    });
    const forged = h.sandbox.post(alice, {
      channel_id: channel,
      message: "click me",
      props: {
        attachments: [
          {
            actions: [
              {
                id: "tododone1",
                name: "Done",
                type: "button",
                integration: { url: routeUrls.action(h.httpUrl, "tododone1"), context },
              },
            ],
          },
        ],
      },
    });
    const click = h.sandbox.clickAction(bob, forged.id, "tododone1");
    await expect(click).rejects.toBeInstanceOf(SandboxApiError);
    await expect(click).rejects.toMatchObject({ status: 400, detailedError: "status=403" });
    expect(h.sandbox.getPost(forged.id)!.message).toBe("click me");
    expect((await h.sandbox.runSlashCommand(alice, channel, "/todo list")).text).toBe(
      "**To-do list** · 1 open",
    );
  });
});

describe("a /todo answer later than the deadline", () => {
  let h: Harness;
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));

  beforeAll(async () => {
    const port = await freePort();
    h = await startHarness({
      bot: integrationsFor(port, { answerWithinMs: 100 }),
      setup: (bot) => {
        // the todo handler held back until the sandbox has had its (empty) answer; ahead of the app's own
        const held = todoSlash(() => new TodoService(bot.store));
        bot.slash("/todo", async (ctx) => {
          await released;
          await held(ctx);
        });
        bot.use(todo());
      },
    });
    // ephemeral answers over REST need the System Admin role (create_post_ephemeral)
    h.sandbox.setRoles(h.seed.bot.user.id, "system_user system_admin");
  });
  afterAll(() => h.close());

  it("comes through response_url, buttons and all", async () => {
    const channel = newChannel(h);
    const alice = h.seed.users.alice.user.id;
    const answer = await h.sandbox.runSlashCommand(alice, channel, "/todo list");
    expect(answer).toMatchObject({ response_type: "", text: "" });
    expect(h.sandbox.channelPosts(channel).filter((p) => p.message.includes("To-do"))).toEqual([]);
    release();
    const late = await h.sandbox.waitForPost(
      (p) =>
        p.channel_id === channel &&
        p.user_id === alice &&
        p.message.startsWith("The list is empty"),
    );
    expect(attachmentsOf(late).map((a) => a.actions?.map((x) => x.id))).toEqual([["todoadd"]]);
    await h.sandbox.clickAction(alice, late.id, "todoadd");
    expect(h.sandbox.lastOpenedDialog(alice)?.dialog.callback_id).toBe("todoadd");
  });
});
