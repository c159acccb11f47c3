import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Dialog, DialogContext } from "../../src/bot/interaction-context.js";
import { signDialog } from "../../src/http/signature.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { freePort } from "../helpers/ports.js";
import {
  fixture,
  post,
  RECORDED,
  substitute,
  type RecordedRequest,
} from "./integration-helpers.js";
import { ROUTES, routeUrls } from "../../src/http/routes.js";

describe("dialogs", () => {
  let h: Harness;
  const submissions: DialogContext[] = [];
  const recordedOpen = fixture<{ request: { body: { dialog: Dialog } } }>("../rest/dialogs-open")
    .request.body;
  const [missingText, complete, cancel] = fixture<{ sent_by_server: RecordedRequest[] }>(
    "dialog-submission",
  ).sent_by_server;
  let notifyOnCancel = true;

  beforeAll(async () => {
    const port = await freePort();
    h = await startHarness({
      policy: { allowedUsers: ["alice"] }, // by name: a submission carries only the user id
      // the sandbox runs /mmtodo against the bot and serves the real dialogs/open
      bot: (sandbox, seed) => {
        const command = sandbox.createCommand(seed.users.admin.user.id, {
          team_id: seed.team.id,
          trigger: "mmtodo",
          url: routeUrls.slash(`http://127.0.0.1:${port}`),
        });
        return {
          http: {
            listen: `127.0.0.1:${port}`,
            tokens: { slash: [command.token] },
            actionSecret: "dialog-secret",
          },
        };
      },
      setup: (bot) => {
        bot.slash("/mmtodo", (ctx) =>
          ctx.openDialog({ ...recordedOpen.dialog, notify_on_cancel: notifyOnCancel }),
        );
        bot.dialog("addtodo", (ctx) => {
          submissions.push(ctx);
          if (ctx.cancelled) return;
          if (ctx.submission.text === "") return ctx.reject({ text: "Text is required" });
          if (ctx.submission.text === "explode") throw new Error("boom");
        });
      },
    });
  });
  afterAll(() => h.close());

  const world = () => ({
    [RECORDED.alice]: h.seed.users.alice.user.id,
    [RECORDED.ops]: h.seed.channels.ops.id,
    [RECORDED.team]: h.seed.team.id,
  });

  /** Runs the slash command that opens the dialog, as alice in ops; returns the URL the bot gave Mattermost. */
  async function openDialog(): Promise<string> {
    const alice = h.seed.users.alice.user.id;
    const before = h.sandbox.openedDialogs(alice).length;
    const answer = await h.sandbox.runSlashCommand(alice, h.seed.channels.ops.id, "/mmtodo");
    expect(answer).toMatchObject({ response_type: "", text: "" });
    const opened = h.sandbox.openedDialogs(alice);
    expect(opened).toHaveLength(before + 1);
    expect(opened.at(-1)!.dialog).toMatchObject({
      ...recordedOpen.dialog,
      notify_on_cancel: notifyOnCancel,
    });
    return opened.at(-1)!.url;
  }

  /** What Mattermost sends to the dialog's URL on submit. */
  const submit = (url: string, recorded: RecordedRequest, changes: Record<string, string> = {}) =>
    post(url, substitute(recorded.raw_body, { ...world(), ...changes }), {
      "content-type": "application/json",
    });

  it("opens a dialog from a slash command, shows field errors, then takes the submission", async () => {
    const url = await openDialog();
    expect(url.startsWith(`${h.httpUrl}${ROUTES.dialogs}?`)).toBe(true);
    expect(await submit(url, missingText!)).toMatchObject({
      status: 200,
      body: { errors: { text: "Text is required" } },
    });
    expect(await submit(url, complete!)).toMatchObject({ status: 200, body: {} });
    const last = submissions.at(-1)!;
    expect(last).toMatchObject({
      callbackId: "addtodo",
      dialogState: "list-1",
      cancelled: false,
      submission: { notes: "oat", prio: "low", text: "buy milk", urgent: true },
      user: { id: h.seed.users.alice.user.id },
      channel: { id: h.seed.channels.ops.id },
      teamId: h.seed.team.id,
    });
  });

  it("delivers a cancel only when the dialog asked for notify_on_cancel", async () => {
    notifyOnCancel = true;
    const asked = await openDialog();
    const before = submissions.length;
    expect(await submit(asked, cancel!)).toMatchObject({ status: 200, body: {} });
    expect(submissions.length).toBe(before + 1);
    expect(submissions.at(-1)!.cancelled).toBe(true);

    notifyOnCancel = false;
    const notAsked = await openDialog();
    expect(await submit(notAsked, cancel!)).toMatchObject({ status: 200, body: {} });
    expect(submissions.length).toBe(before + 1);
    notifyOnCancel = true;
  });

  it("refuses submissions without the bot's signature, or from another user or channel (403)", async () => {
    const url = await openDialog();
    const before = submissions.length;
    expect(await submit(`${h.httpUrl}${ROUTES.dialogs}`, complete!)).toMatchObject({
      status: 403,
      body: { error: "dialog addtodo submission has no signature" },
    });
    expect(
      await submit(url, complete!, { [RECORDED.alice]: h.seed.users.bob.user.id }),
    ).toMatchObject({
      status: 403,
      body: { error: "dialog addtodo submission signature is wrong" },
    });
    expect(
      await submit(url, complete!, { [RECORDED.ops]: h.seed.channels.townSquare.id }),
    ).toMatchObject({
      status: 403,
      body: { error: "dialog addtodo submission signature is wrong" },
    });
    expect(await submit(url.replace(/exp=\d+/, "exp=99999999999999"), complete!)).toMatchObject({
      status: 403,
    });
    expect(submissions.length).toBe(before);
  });

  it("applies policy.allowed_users to a submission, looking the user's name up", async () => {
    const before = submissions.length;
    const bob = h.seed.users.bob.user.id;
    const query = signDialog(
      "dialog-secret",
      {
        callbackId: "addtodo",
        channelId: h.seed.channels.ops.id,
        userId: bob,
        notifyOnCancel: false,
      },
      Date.now() + 60_000,
    );
    const answer = await submit(`${h.httpUrl}${ROUTES.dialogs}?${query.toString()}`, complete!, {
      [RECORDED.alice]: bob,
    });
    expect(answer).toMatchObject({
      status: 200,
      body: {
        error:
          "Sorry, you are not allowed to use @todobot. Ask an admin to add you to its allowed users.",
      },
    });
    expect(submissions.length).toBe(before);
  });

  it("shows a failing handler's reference in the dialog", async () => {
    const url = await openDialog();
    const answer = await submit(url, complete!, { "buy milk": "explode" });
    expect(answer.status).toBe(200);
    expect(String(answer.body.error)).toMatch(
      /^Sorry, something went wrong while handling that \(ref `[0-9a-f]{8}`\)\.$/,
    );
  });
});
