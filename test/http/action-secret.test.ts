import { afterEach, describe, expect, it } from "vitest";
import { button } from "../../src/http/attachments.js";
import { startHarness, type Harness } from "../helpers/harness.js";
import { freePort } from "../helpers/ports.js";

describe("buttons without a configured action secret", () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it("are signed with a secret the bot keeps in its store: clicks work, and still work after a restart", async () => {
    const port = await freePort();
    let clicks = 0;
    h = await startHarness({
      bot: { http: { listen: `127.0.0.1:${port}` } }, // no actionSecret
      setup: (bot) => {
        bot.command("menu", (ctx) =>
          ctx.reply({
            text: "Pick one",
            attachments: [{ actions: [button("ok", "OK", { context: { n: 1 } })] }],
          }),
        );
        bot.action("ok", (ctx) => ctx.ephemeral(`clicked ${++clicks} times`)); // the button stays for the next click
      },
    });
    const alice = h.seed.users.alice.user.id;
    const menu = await h.replyTo(h.say("alice", h.seed.channels.ops.id, "@todobot menu"));
    expect(await h.sandbox.clickAction(alice, menu.id, "ok")).toMatchObject({ status: "OK" });
    expect(h.sandbox.ephemeralPosts(alice).at(-1)?.message).toBe("clicked 1 times");

    await h.restartBot(); // same store, same address: the same secret must come back
    expect(await h.sandbox.clickAction(alice, menu.id, "ok")).toMatchObject({ status: "OK" });
    expect(h.sandbox.ephemeralPosts(alice).at(-1)?.message).toBe("clicked 2 times");
  });
});
