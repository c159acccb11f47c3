// A sandbox kept in a real SQLite file: closed and started again on it, it is the same world.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Sandbox, WorldFileError } from "../../src/sandbox/index.js";

const tempFile = () => join(mkdtempSync(join(tmpdir(), "mmbot-world-")), "data", "sandbox.db");

const api =
  (sandbox: Sandbox, token: string) => async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${sandbox.url}/api/v4${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : body instanceof FormData ? body : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (response.headers.get("content-type")?.includes("json")
        ? await response.json()
        : await response.text()) as any,
    };
  };

describe("a sandbox kept in a file", () => {
  const open: Sandbox[] = [];
  const start = async (options: Parameters<typeof Sandbox.start>[0]) => {
    const sandbox = await Sandbox.start(options);
    open.push(sandbox);
    return sandbox;
  };
  afterEach(async () => {
    for (const sandbox of open.splice(0)) await sandbox.close();
  });

  it("starts again with the same users, tokens, channels, members, posts, reactions and files", async () => {
    const file = tempFile();
    const first = await start({ file });
    expect(first.restored).toBe(false);
    const seed = first.seed();
    const alice = seed.users.alice;
    const root = first.post(alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "first post",
    });
    const reply = first.post(seed.users.bob.user.id, {
      channel_id: seed.channels.ops.id,
      message: "a reply",
      root_id: root.id,
    });
    first.react(seed.users.bob.user.id, root.id, "thumbsup");
    const gone = first.post(alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "deleted later",
    });
    first.deletePost(alice.user.id, gone.id);
    const dm = first.directChannel(alice.user.id, seed.bot.user.id);
    first.post(alice.user.id, { channel_id: dm.id, message: "hello bot" });
    const carol = first.createUser({ username: "carol" });
    first.addToTeam(seed.team.id, carol.user.id);
    first.addToChannel(seed.channels.ops.id, carol.user.id);
    // over REST: a login session and an uploaded file attached to a post
    const login = await fetch(`${first.url}/api/v4/users/login`, {
      method: "POST",
      body: JSON.stringify({ login_id: "bob", password: "sandbox-bob" }),
    });
    const session = login.headers.get("token")!;
    const form = new FormData();
    form.set("channel_id", seed.channels.ops.id);
    form.set("files", new Blob(["milk, eggs"]), "list.txt");
    const upload = await api(first, alice.token)("POST", "/files", form);
    const fileId = upload.body.file_infos[0].id as string;
    const withFile = first.post(alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "the list",
      file_ids: [fileId],
    });
    const postsBefore = first.channelPosts(seed.channels.ops.id);
    await first.close();
    open.length = 0;

    const second = await start({ file });
    expect(second.restored).toBe(true);
    const kept = second.seed();
    expect(kept.users.alice.user.id).toBe(alice.user.id);
    expect(kept.bot.token).toBe(seed.bot.token);
    expect(kept.channels.ops.id).toBe(seed.channels.ops.id);
    expect(() => second.seed()).toThrow(/already called/);
    expect(second.getUser(carol.user.id)?.username).toBe("carol");

    // the same posts, in order, the thread and the reaction; the deleted post stays deleted
    expect(second.channelPosts(seed.channels.ops.id)).toEqual(postsBefore);
    expect(second.thread(root.id).map((p) => p.id)).toEqual([root.id, reply.id]);
    expect(second.getPost(root.id)?.metadata?.reactions?.map((r) => r.emoji_name)).toEqual([
      "thumbsup",
    ]);
    expect(second.getPost(gone.id)).toBeUndefined();
    expect(second.directChannel(alice.user.id, seed.bot.user.id).id).toBe(dm.id);

    // tokens: the seeded personal access token and bob's login session still work
    const asAlice = api(second, alice.token);
    expect((await asAlice("GET", "/users/me")).body.id).toBe(alice.user.id);
    expect((await api(second, session)("GET", "/users/me")).body.username).toBe("bob");
    const members = await asAlice("GET", `/channels/${seed.channels.ops.id}/members`);
    expect(members.body.map((m: { user_id: string }) => m.user_id).sort()).toEqual(
      [
        seed.users.admin.user.id,
        alice.user.id,
        seed.users.bob.user.id,
        seed.bot.user.id,
        carol.user.id,
      ].sort(),
    );
    expect((await asAlice("GET", `/files/${fileId}`)).body).toBe("milk, eggs");
    expect(second.getPost(withFile.id)?.metadata?.files?.[0]?.name).toBe("list.txt");

    // it goes on: a new post comes after the kept ones, in the channel and in the thread
    const next = second.post(alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "after the restart",
      root_id: root.id,
    });
    expect(second.channelPosts(seed.channels.ops.id).at(-1)?.id).toBe(next.id);
    expect(second.thread(root.id).map((p) => p.id)).toEqual([root.id, reply.id, next.id]);
    const page = await asAlice("GET", `/channels/${seed.channels.ops.id}/posts?per_page=2`);
    expect(page.body.order[0]).toBe(next.id);
  });

  it("keeps changes made after a save: an edit, a delete, a removed reaction", async () => {
    const file = tempFile();
    const first = await start({ file });
    const seed = first.seed();
    const alice = seed.users.alice.user.id;
    const edited = first.post(alice, { channel_id: seed.channels.ops.id, message: "draft" });
    const deleted = first.post(alice, { channel_id: seed.channels.ops.id, message: "oops" });
    first.react(alice, edited.id, "eyes");
    await new Promise((r) => setTimeout(r, 400)); // saved meanwhile
    first.editPost(alice, edited.id, "final");
    first.deletePost(alice, deleted.id);
    const asAlice = api(first, seed.users.alice.token);
    expect(
      (await asAlice("DELETE", `/users/${alice}/posts/${edited.id}/reactions/eyes`)).status,
    ).toBe(200);
    await first.close();
    open.length = 0;

    const second = await start({ file });
    expect(second.getPost(edited.id)?.message).toBe("final");
    expect(second.getPost(deleted.id)).toBeUndefined();
    expect(second.getPost(edited.id)?.metadata?.reactions).toBeUndefined();
  });

  it("starts empty with fresh, and in memory without a file", async () => {
    const file = tempFile();
    const first = await start({ file });
    const seed = first.seed();
    await first.close();
    open.length = 0;
    const fresh = await start({ file, fresh: true });
    expect(fresh.restored).toBe(false);
    expect(fresh.getUser(seed.users.alice.user.id)).toBeUndefined();
    expect(fresh.seed().users.alice.user.id).not.toBe(seed.users.alice.user.id);

    const memory = await start({});
    expect(memory.restored).toBe(false);
    expect(memory.getUser(seed.users.alice.user.id)).toBeUndefined();
  });

  it("refuses a file of another version and a file that is not a world, naming the file; fresh replaces it", async () => {
    const other = tempFile();
    const first = await start({ file: other });
    await first.close();
    open.length = 0;
    const db = new Database(other);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'format'").run();
    db.close();
    const refusal = await Sandbox.start({ file: other }).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(WorldFileError);
    expect((refusal as Error).message).toBe(
      `${other}: written by another version of mmbot (world format 99; this version reads format 1)`,
    );

    const notDb = join(mkdtempSync(join(tmpdir(), "mmbot-world-")), "sandbox.db");
    writeFileSync(notDb, "these are my notes, not a database ".repeat(100));
    await expect(Sandbox.start({ file: notDb })).rejects.toThrow(/not a sandbox world file/);

    // fresh replaces what cannot be read
    const replaced = await start({ file: other, fresh: true });
    expect(replaced.seed().users.alice.user.username).toBe("alice");
    await replaced.close();
    open.length = 0;
    expect((await start({ file: other })).restored).toBe(true);
  });

  it("refuses a second sandbox on a file in use, even with fresh, and leaves the running world alone", async () => {
    const file = tempFile();
    const first = await start({ file });
    const seed = first.seed();
    await first.close();
    open.length = 0;
    const running = await start({ file }); // a restored world that has not written yet
    for (const fresh of [false, true]) {
      const refusal = await Sandbox.start({ file, fresh }).catch((e: unknown) => e);
      expect(refusal).toMatchObject({
        inUse: true,
        message: `${file}: in use by another running sandbox`,
      });
    }
    running.post(seed.users.alice.user.id, {
      channel_id: seed.channels.ops.id,
      message: "still here",
    });
    await running.close();
    open.length = 0;
    const again = await start({ file });
    expect(again.channelPosts(seed.channels.ops.id).map((p) => p.message)).toEqual(["still here"]);
  });

  it("points integrations to a new address: commands, outgoing webhooks and the buttons of kept posts", async () => {
    const file = tempFile();
    const first = await start({ file });
    const seed = first.seed();
    const admin = seed.users.admin.user.id;
    first.createCommand(admin, {
      team_id: seed.team.id,
      trigger: "todo",
      url: "http://127.0.0.1:4001/slash",
    });
    first.createOutgoingWebhook(admin, {
      team_id: seed.team.id,
      channel_id: seed.channels.offTopic.id,
      trigger_words: ["todo"],
      callback_urls: ["http://127.0.0.1:4001/hooks/outgoing"],
    });
    first.post(seed.bot.user.id, {
      channel_id: seed.channels.townSquare.id,
      message: "",
      props: {
        attachments: [
          {
            text: "a task",
            actions: [
              {
                id: "done",
                name: "Done",
                integration: { url: "http://127.0.0.1:4001/actions/done" },
              },
            ],
          },
        ],
      },
    });
    await first.close();
    open.length = 0;

    const second = await start({ file });
    expect(second.moveIntegrations("http://127.0.0.1:4001", "http://127.0.0.1:4002")).toBe(3);
    expect(second.listCommands(admin, seed.team.id).map((c) => c.url)).toEqual([
      "http://127.0.0.1:4002/slash",
    ]);
    expect(second.listOutgoingWebhooks(admin, seed.team.id).map((h) => h.callback_urls)).toEqual([
      ["http://127.0.0.1:4002/hooks/outgoing"],
    ]);
  });
});
