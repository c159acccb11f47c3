import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { parseStoreUrl } from "../../src/store/index.js";

describe("store URLs", () => {
  it("reads SQLite paths relative to the working directory, absolute, and in memory", () => {
    expect(parseStoreUrl("sqlite:./data/mmbot.db", "/srv/bot")).toEqual({
      dialect: "sqlite",
      path: "/srv/bot/data/mmbot.db",
      redacted: "sqlite:/srv/bot/data/mmbot.db",
    });
    expect(parseStoreUrl("sqlite:data.db", "/srv/bot")).toMatchObject({ path: "/srv/bot/data.db" });
    expect(parseStoreUrl("sqlite:/var/lib/mmbot.db")).toMatchObject({
      dialect: "sqlite",
      path: "/var/lib/mmbot.db",
    });
    expect(parseStoreUrl("sqlite:///var/lib/mmbot.db")).toMatchObject({
      path: "/var/lib/mmbot.db",
    });
    expect(parseStoreUrl("sqlite::memory:")).toMatchObject({ dialect: "sqlite", path: ":memory:" });
  });

  it("reads postgres:// and postgresql:// URLs and redacts the password", () => {
    expect(parseStoreUrl("postgres://bot:s3cret@db:5432/mmbot")).toEqual({
      dialect: "postgres",
      connectionString: "postgres://bot:s3cret@db:5432/mmbot",
      redacted: "postgres://bot:***@db:5432/mmbot",
    });
    expect(parseStoreUrl("postgresql://root@127.0.0.1/test")).toMatchObject({
      dialect: "postgres",
      redacted: "postgresql://root@127.0.0.1/test",
    });
  });

  it("anything else is a ConfigError naming store.url, the value and an example", () => {
    for (const bad of ["mysql://x@y/z", "./data/mmbot.db", "", "sqlite:"]) {
      let error: unknown;
      try {
        parseStoreUrl(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain("store.url");
      expect(message).toContain(bad);
      expect(message).toContain("sqlite:./data/mmbot.db");
    }
  });

  it("never shows a password in an error, even for a URL that does not parse", () => {
    try {
      parseStoreUrl("postgres://bot:hunter2@[bad");
    } catch (e) {
      expect((e as Error).message).not.toContain("hunter2");
      return;
    }
    throw new Error("expected a ConfigError");
  });
});
