import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MmbotError } from "../../src/errors.js";
import { openStore, type Store } from "../../src/store/index.js";
import { describeEachDatabase, freshSqlite } from "../helpers/databases.js";

const ALL_MIGRATIONS = ["0001_core", "0002_claims_finished"];

describeEachDatabase("store contract", (db) => {
  let store: Store;
  beforeAll(async () => {
    store = await openStore(db.url());
  });
  afterAll(() => store.close());

  describe("migrations", () => {
    it("0002_claims_finished runs again over a claims table that has its column (set aside by an older version sharing the database)", async () => {
      const shared = await db.fresh();
      const first = await openStore(shared.url);
      await first.claims.claim("post:kept", "one");
      await first.db
        .deleteFrom("kysely_migration" as never)
        .where("name" as never, "=", "0002_claims_finished" as never)
        .execute();
      await first.close();
      const again = await openStore(shared.url);
      try {
        expect(await again.migrationStatus()).toEqual({ applied: ALL_MIGRATIONS, pending: [] });
        expect(await again.claims.claim("post:kept", "two")).toBe(false);
      } finally {
        await again.close();
        await shared.drop();
      }
    });

    it("are applied on open", async () => {
      expect(store.dialect).toBe(db.dialect);
      expect(await store.migrationStatus()).toEqual({ applied: ALL_MIGRATIONS, pending: [] });
    });

    it("are idempotent: a second open of the same database keeps the data", async () => {
      await store.kv.set("reopen", "kept");
      const again = await openStore(db.url());
      try {
        expect(await again.migrationStatus()).toEqual({ applied: ALL_MIGRATIONS, pending: [] });
        expect(await again.kv.get("reopen")).toBe("kept");
      } finally {
        await again.close();
      }
    });

    it("with migrate: false, a new database reports every migration pending; opening normally applies them", async () => {
      const empty = await db.fresh();
      const unmigrated = await openStore(empty.url, { migrate: false });
      try {
        expect(await unmigrated.migrationStatus()).toEqual({
          applied: [],
          pending: ALL_MIGRATIONS,
        });
      } finally {
        await unmigrated.close();
      }
      const migrated = await openStore(empty.url);
      try {
        expect((await migrated.migrationStatus()).pending).toEqual([]);
      } finally {
        await migrated.close();
      }
    });

    it("two stores opening one new database at once both end up migrated", async () => {
      const empty = await db.fresh();
      const both = await Promise.all([openStore(empty.url), openStore(empty.url)]);
      try {
        for (const s of both) expect((await s.migrationStatus()).pending).toEqual([]);
      } finally {
        await Promise.all(both.map((s) => s.close()));
      }
    });
  });

  describe("kv", () => {
    it("returns undefined for a missing key, then what was set, then the overwrite", async () => {
      expect(await store.kv.get("missing")).toBeUndefined();
      await store.kv.set("cursor", "1700000000000");
      expect(await store.kv.get("cursor")).toBe("1700000000000");
      await store.kv.set("cursor", "1700000000500");
      expect(await store.kv.get("cursor")).toBe("1700000000500");
    });

    it("setIfAbsent keeps the first value, even when two callers race", async () => {
      const [a, b] = await Promise.all([
        store.kv.setIfAbsent("secret", "from-a"),
        store.kv.setIfAbsent("secret", "from-b"),
      ]);
      expect(a).toBe(b);
      expect(["from-a", "from-b"]).toContain(a);
      expect(await store.kv.setIfAbsent("secret", "later")).toBe(a);
      expect(await store.kv.get("secret")).toBe(a);
    });

    it("keeps empty strings and long unicode values intact", async () => {
      await store.kv.set("empty", "");
      expect(await store.kv.get("empty")).toBe("");
      const long = "ünïcødé ✓ ".repeat(5_000);
      await store.kv.set("long", long);
      expect(await store.kv.get("long")).toBe(long);
    });
  });

  describe("claims", () => {
    it("the first claim of an id wins, every later one (any owner) loses", async () => {
      expect(await store.claims.claim("post:a", "instance-1")).toBe(true);
      expect(await store.claims.claim("post:a", "instance-1")).toBe(false);
      expect(await store.claims.claim("post:a", "instance-2")).toBe(false);
      expect(await store.claims.claim("post:b", "instance-2")).toBe(true);
    });

    it("20 concurrent claims of one id: exactly one true", async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.claims.claim("post:race", `owner-${i}`)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it("two instances (two stores on one database) racing for the same ids: each id is won once", async () => {
      const other = await openStore(db.url());
      try {
        const ids = Array.from({ length: 50 }, (_, i) => `post:shared-${i}`);
        const [mine, theirs] = await Promise.all([
          Promise.all(ids.map((id) => store.claims.claim(id, "one"))),
          Promise.all(ids.map((id) => other.claims.claim(id, "two"))),
        ]);
        ids.forEach((_, i) => expect(Number(mine[i]) + Number(theirs[i])).toBe(1));
      } finally {
        await other.close();
      }
    });

    it("an unfinished claim not renewed since the bound is abandoned and taken over once; a finished or renewed one never", async () => {
      expect(await store.claims.claim("post:left", "dead")).toBe(true);
      expect(await store.claims.claim("post:done", "dead")).toBe(true);
      expect(await store.claims.claim("post:alive", "live")).toBe(true);
      await store.claims.finish("post:done");
      await new Promise((r) => setTimeout(r, 20));
      const bound = Date.now();
      await store.claims.renew(["post:alive"], "live");
      const mine = async () =>
        (await store.claims.abandoned(bound, 1_000)).filter((id) =>
          ["post:left", "post:done", "post:alive"].includes(id),
        );
      expect(await mine()).toEqual(["post:left"]);
      // the bound is before the claims: none is stale yet
      expect(await store.claims.claim("post:left", "heir", bound - 60_000)).toBe(false);
      const [a, b] = await Promise.all([
        store.claims.claim("post:left", "heir-1", bound),
        store.claims.claim("post:left", "heir-2", bound),
      ]);
      expect(Number(a) + Number(b)).toBe(1);
      expect(await store.claims.claim("post:done", "heir", bound)).toBe(false);
      expect(await store.claims.claim("post:alive", "heir", bound)).toBe(false);
      expect(await mine()).toEqual([]);
    });
  });

  describe("transaction", () => {
    it("concurrent transactions commit independently: one that throws undoes only its own writes", async () => {
      const write = (key: string) =>
        store.db.insertInto("kv").values({ key, value: "v", updated_at: 1 }).execute();
      const outcomes = await Promise.allSettled([
        store.transaction(async (trx) => {
          await trx
            .insertInto("kv")
            .values({ key: "tx-kept-1", value: "v", updated_at: 1 })
            .execute();
          return "first";
        }),
        store.transaction(async (trx) => {
          await trx
            .insertInto("kv")
            .values({ key: "tx-undone", value: "v", updated_at: 1 })
            .execute();
          throw new Error("changed my mind");
        }),
        store.transaction(async (trx) => {
          await trx
            .insertInto("kv")
            .values({ key: "tx-kept-2", value: "v", updated_at: 1 })
            .execute();
          return "third";
        }),
        store.claims.claim("tx-claim", "me"),
      ]);
      expect(
        outcomes.map((o) => (o.status === "fulfilled" ? o.value : (o.reason as Error).message)),
      ).toEqual(["first", "changed my mind", "third", true]);
      expect(await store.kv.get("tx-kept-1")).toBe("v");
      expect(await store.kv.get("tx-kept-2")).toBe("v");
      expect(await store.kv.get("tx-undone")).toBeUndefined();
      await expect(write("tx-undone")).resolves.toBeDefined(); // the key is free: nothing was left behind
    });
  });

  describe("outbox", () => {
    it("enqueues entries in order with 26-character [a-z0-9] ids, all pending", async () => {
      const entries = await store.outbox.enqueue([
        {
          kind: "post",
          channel_id: "ch1",
          root_id: "root1",
          user_id: "",
          message: "part 1",
          props: { from_bot: "true", n: 1 },
        },
        {
          kind: "post",
          channel_id: "ch1",
          root_id: "root1",
          user_id: "",
          message: "part 2",
          file_ids: ["f1", "f2"],
        },
        { kind: "post", channel_id: "ch2", root_id: "", user_id: "", message: "part 3" },
      ]);
      expect(entries.map((e) => e.message)).toEqual(["part 1", "part 2", "part 3"]);
      for (const e of entries) {
        expect(e.id).toMatch(/^[a-z0-9]{26}$/);
        expect(e).toMatchObject({ status: "pending", attempts: 0, post_id: "", last_error: "" });
        expect(typeof e.created_at).toBe("number");
      }
      expect(new Set(entries.map((e) => e.id)).size).toBe(3);
      expect(entries[0]?.props).toEqual({ from_bot: "true", n: 1 });
      expect(entries[1]?.file_ids).toEqual(["f1", "f2"]);
      expect(entries[2]).toMatchObject({
        kind: "post",
        channel_id: "ch2",
        props: {},
        file_ids: [],
      });

      const pending = await store.outbox.pending();
      expect(pending.map((e) => e.id)).toEqual(entries.map((e) => e.id));
      expect(pending).toEqual(entries); // what is read back is what was stored, numbers as numbers
    });

    it("entries made `once` per scope: enqueued again (the post handled again), they are the stored ones, sent or not", async () => {
      const reply = (message: string, seq: number) => ({
        kind: "post" as const,
        channel_id: "ch9",
        root_id: "r9",
        user_id: "",
        message,
        once: { scope: "post:p9", seq },
      });
      const first = await store.outbox.enqueue([
        reply("first run, part 1", 0),
        reply("first run, part 2", 1),
      ]);
      await store.outbox.markSent(first[0]!.id, "sent-post");
      const again = await store.outbox.enqueue([
        reply("second run, part 1", 0),
        reply("second run, part 2", 1),
        reply("second run, part 3", 2),
      ]);
      expect(again.map((e) => [e.id, e.message, e.status])).toEqual([
        [first[0]!.id, "first run, part 1", "sent"],
        [first[1]!.id, "first run, part 2", "pending"],
        [again[2]!.id, "second run, part 3", "pending"],
      ]);
      expect(again[0]?.post_id).toBe("sent-post");
      const rows = await store.db
        .selectFrom("outbox")
        .select("id")
        .where("channel_id", "=", "ch9")
        .execute();
      expect(rows).toHaveLength(3);
    });

    it("the entries of a scope are read back in `seq` order, and only those", async () => {
      const entry = (scope: string, seq: number) => ({
        kind: "post" as const,
        channel_id: "ch8",
        root_id: "",
        user_id: "",
        message: `${scope} ${seq}`,
        once: { scope, seq },
      });
      // enqueued out of order: read back in seq order
      await store.outbox.enqueue([
        entry("post:p8/stream/0", 10),
        entry("post:p8/stream/0", 2),
        entry("post:p8/stream/1", 0),
        entry("post:p8", 0),
      ]);
      await store.outbox.enqueue([
        { kind: "post", channel_id: "ch8", root_id: "", user_id: "", message: "made without once" },
      ]);
      expect((await store.outbox.scoped("post:p8/stream/0")).map((e) => e.message)).toEqual([
        "post:p8/stream/0 2",
        "post:p8/stream/0 10",
      ]);
      expect(await store.outbox.scoped("post:nothing")).toEqual([]);
    });

    it("discard removes an entry never sent, and never a sent one", async () => {
      const entry = (message: string, seq: number) => ({
        kind: "post" as const,
        channel_id: "ch7",
        root_id: "",
        user_id: "",
        message,
        once: { scope: "post:p7/stream/0", seq },
      });
      const [sent, pending] = await store.outbox.enqueue([entry("sent", 0), entry("pending", 1)]);
      await store.outbox.markSent(sent!.id, "post7");
      await store.outbox.discard(sent!.id);
      await store.outbox.discard(pending!.id);
      expect(
        (await store.outbox.scoped("post:p7/stream/0")).map((e) => [e.message, e.status]),
      ).toEqual([["sent", "sent"]]);
      expect((await store.outbox.pending()).map((e) => e.id)).not.toContain(pending!.id);
    });

    it("markSent takes an entry out of pending and records the post id", async () => {
      const [entry] = await store.outbox.enqueue([
        { kind: "post", channel_id: "ch2", root_id: "", user_id: "", message: "hello" },
      ]);
      if (!entry) throw new Error("nothing enqueued");
      await store.outbox.markSent(entry.id, "post123");
      expect((await store.outbox.pending()).map((e) => e.id)).not.toContain(entry.id);
      const row = await store.db
        .selectFrom("outbox")
        .selectAll()
        .where("id", "=", entry.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: "sent", post_id: "post123" });
    });

    it("markFailed counts attempts; a final failure leaves pending as failed", async () => {
      const [entry] = await store.outbox.enqueue([
        { kind: "post", channel_id: "ch3", root_id: "", user_id: "", message: "flaky" },
      ]);
      if (!entry) throw new Error("nothing enqueued");
      await store.outbox.markFailed(entry.id, "503 Service Unavailable", false);
      let again = (await store.outbox.pending()).find((e) => e.id === entry.id);
      expect(again).toMatchObject({
        status: "pending",
        attempts: 1,
        last_error: "503 Service Unavailable",
      });
      await store.outbox.markFailed(entry.id, "timeout", false);
      again = (await store.outbox.pending()).find((e) => e.id === entry.id);
      expect(again?.attempts).toBe(2);
      await store.outbox.markFailed(entry.id, "400 Bad Request", true);
      expect((await store.outbox.pending()).find((e) => e.id === entry.id)).toBeUndefined();
      const row = await store.db
        .selectFrom("outbox")
        .selectAll()
        .where("id", "=", entry.id)
        .executeTakeFirstOrThrow();
      expect(row).toMatchObject({ status: "failed", last_error: "400 Bad Request" });
      expect(Number(row.attempts)).toBe(3);
    });

    it("pending is oldest first and honours the limit; an empty enqueue stores nothing", async () => {
      expect(await store.outbox.enqueue([])).toEqual([]);
      for (const e of await store.outbox.pending(1_000)) await store.outbox.markSent(e.id, "x");
      const first = await store.outbox.enqueue([
        { kind: "post", channel_id: "c", root_id: "", user_id: "", message: "first" },
      ]);
      const rest = await store.outbox.enqueue(
        Array.from({ length: 5 }, (_, i) => ({
          kind: "post" as const,
          channel_id: "c",
          root_id: "",
          user_id: "",
          message: `m${i}`,
        })),
      );
      expect((await store.outbox.pending(3)).map((e) => e.message)).toEqual(["first", "m0", "m1"]);
      expect((await store.outbox.pending()).map((e) => e.id)).toEqual(
        [...first, ...rest].map((e) => e.id),
      );
    });
  });
});

describe("openStore errors and URLs", () => {
  it("creates the directory of a SQLite file", async () => {
    const tmp = freshSqlite();
    const nested = `sqlite:${join(tmp.url.slice("sqlite:".length), "..", "a", "b", "bot.db")}`;
    const store = await openStore(nested);
    try {
      expect(store.url).toBe(
        `sqlite:${join(tmp.url.slice("sqlite:".length), "..", "a", "b", "bot.db")}`,
      );
      await store.kv.set("k", "v");
      expect(await store.kv.get("k")).toBe("v");
    } finally {
      await store.close();
      await tmp.drop();
    }
  });

  it("opens an in-memory SQLite store", async () => {
    const store = await openStore("sqlite::memory:");
    try {
      expect(store.url).toBe("sqlite::memory:");
      expect(await store.claims.claim("x", "me")).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("an unreachable PostgreSQL server is a STORE_OPEN error naming the redacted URL", async () => {
    const error = await openStore("postgres://bot:secret@127.0.0.1:1/mmbot").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(MmbotError);
    expect((error as MmbotError).code).toBe("STORE_OPEN");
    expect((error as MmbotError).message).toContain("postgres://bot:***@127.0.0.1:1/mmbot");
    expect((error as MmbotError).message).not.toContain("secret");
  });
});
