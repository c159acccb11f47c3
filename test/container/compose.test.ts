// compose.yaml and the Dockerfile configure the bot by environment: a misspelt variable would be
// silently ignored, so each one they name must be a variable the configuration reads.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { describeConfig } from "../../src/service/config-reference.js";

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), "utf8");
const known = new Set(describeConfig().flatMap((table) => table.keys.flatMap((key) => key.env)));
const variables = (text: string) => [
  ...new Set(text.match(/\b(?:MMBOT_[A-Z0-9_]+|MATTERMOST_[A-Z0-9_]+|DATABASE_URL)\b/g) ?? []),
];

describe("the container files' environment", () => {
  it("compose.yaml gives the bot the server, its token and the database, by variables the configuration reads", () => {
    const names = variables(read("compose.yaml"));
    expect(names).toEqual(
      expect.arrayContaining(["MATTERMOST_URL", "MATTERMOST_BOT_TOKEN", "DATABASE_URL"]),
    );
    expect(names.filter((name) => !known.has(name))).toEqual([]);
  });

  it("the Dockerfile names only variables the configuration reads", () => {
    const names = variables(read("Dockerfile"));
    expect(names).toContain("MMBOT_HTTP_LISTEN");
    expect(names.filter((name) => !known.has(name))).toEqual([]);
  });
});
