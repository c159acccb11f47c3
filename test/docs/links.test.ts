// Every relative link in README.md and docs/ leads somewhere: the file exists, and a #heading
// is one of its headings (as GitHub makes their anchors).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../../", import.meta.url).pathname;
const DOCS = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** GitHub's anchor for a heading (github-slugger): lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings (outside code blocks), duplicates numbered as GitHub does. */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  let fence = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    const heading = !fence && /^#{1,6} (.*)$/.exec(line);
    if (!heading) continue;
    const base = slug(heading[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  }
  return result;
}

/** The relative links of a Markdown file (outside code blocks): [text](target) and ![alt](target). */
function links(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target));
}

describe("links in README.md and docs/", () => {
  it("GitHub's anchors, as the checks below compute them", () => {
    expect(slug("Slash commands and webhooks: `mmbot setup`")).toBe(
      "slash-commands-and-webhooks-mmbot-setup",
    );
    expect(slug("1. The bot account and its token")).toBe("1-the-bot-account-and-its-token");
    expect([...anchors("# A\n## B\n```\n# not\n```\n## B\n")]).toEqual(["a", "b", "b-1"]);
  });

  for (const file of DOCS) {
    it(`${file}: every relative link resolves to a file and heading`, () => {
      const text = readFileSync(join(ROOT, file), "utf8");
      const broken: string[] = [];
      for (const target of links(text)) {
        const [path = "", anchor] = target.split("#");
        const resolved = path === "" ? join(ROOT, file) : join(ROOT, dirname(file), path);
        if (!existsSync(resolved)) {
          broken.push(`${target} (no file ${relative(ROOT, resolved)})`);
          continue;
        }
        if (anchor !== undefined && !anchors(readFileSync(resolved, "utf8")).has(anchor))
          broken.push(`${target} (no heading #${anchor} in ${relative(ROOT, resolved)})`);
      }
      expect(broken).toEqual([]);
    });
  }
});
