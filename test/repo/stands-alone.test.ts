/**
 * The repository stands on its own: a clone on a machine with nothing beside it must build and
 * test, so no tracked file may name a path outside it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUTSIDE = [/\.\.\/shared\b/, /\/work\/(?:shared|main)\b/, /mattermost-fixtures/];

describe("the repository", () => {
  it("has no tracked file that refers to a path outside it", () => {
    const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter(
        (f) =>
          f &&
          f !== "test/repo/stands-alone.test.ts" &&
          !f.endsWith("package-lock.json") &&
          !f.startsWith("test/fixtures/"),
      );
    const offenders = files.flatMap((file) => {
      const text = readFileSync(`${ROOT}/${file}`, "utf8");
      return OUTSIDE.filter((re) => re.test(text)).map((re) => `${file}: ${re}`);
    });
    expect(offenders).toEqual([]);
  });
});
