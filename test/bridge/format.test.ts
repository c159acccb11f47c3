import { describe, expect, it } from "vitest";
import { codeBlock, codeSpan, describeRun } from "../../src/apps/bridge/format.js";
import type { RunResult } from "../../src/apps/bridge/runner.js";
import { splitMessage } from "../../src/bot/split.js";

const options = {
  name: "job",
  program: "/usr/bin/job",
  timeoutSeconds: 5,
  inlineMaxBytes: 100,
  maxOutputBytes: 2048,
};
const output = (text: string, truncated = false) => ({ bytes: Buffer.from(text), truncated });
const result = (
  outcome: RunResult["outcome"],
  stdout = "",
  stderr = "",
  truncated = false,
): RunResult => ({
  outcome,
  stdout: output(stdout, truncated),
  stderr: output(stderr),
  durationMs: 1,
});

describe("the answer to a run", () => {
  it("fences output so that backticks in it cannot end the block, even across split posts", () => {
    const text = "a\n```\nrm -rf /\n```\nb\n";
    expect(codeBlock(text)).toBe("````\na\n```\nrm -rf /\n```\nb\n````");
    const parts = splitMessage(codeBlock(`${"x".repeat(50)}\n\`\`\`\n`.repeat(40)), 400);
    for (const part of parts) {
      expect(part.startsWith("````\n")).toBe(true);
      expect(part.endsWith("\n````")).toBe(true);
    }
  });

  it("shows user text as inline code it cannot break out of", () => {
    expect(codeSpan("rm")).toBe("`rm`");
    expect(codeSpan("`id`")).toBe("`` `id` ``");
  });

  it("shows stderr of a successful run under the output, and says when output was cut", () => {
    expect(
      describeRun(result({ kind: "exited", code: 0 }, "out\n", "warning\n"), options).text,
    ).toBe("```\nout\n```\n\nstderr:\n```\nwarning\n```");
    expect(
      describeRun(result({ kind: "exited", code: 0 }, "x".repeat(50), "", true), options).text,
    ).toBe(`\`\`\`\n${"x".repeat(50)}\n\`\`\`\n(only the first 2.0 KiB kept)`);
    expect(describeRun(result({ kind: "exited", code: 0 }), options).text).toBe(
      "`job` finished with no output.",
    );
  });

  it("names a signal, an exit without output, and a program that is not executable", () => {
    expect(describeRun(result({ kind: "signalled", signal: "SIGKILL" }), options).text).toBe(
      "`job` was stopped by signal SIGKILL.\n\nIt printed nothing.",
    );
    expect(describeRun(result({ kind: "exited", code: 3 }), options).text).toBe(
      "`job` failed with exit code 3.\n\nIt printed nothing.",
    );
    expect(
      describeRun(result({ kind: "not-started", errorCode: "EACCES", message: "" }), options).text,
    ).toMatch(/^`job` did not run: the program `\/usr\/bin\/job` is not executable\./);
  });

  it("attaches each stream beyond inlineMaxBytes as its own file", () => {
    const answer = describeRun(
      result({ kind: "exited", code: 1 }, "o".repeat(101), "e".repeat(200)),
      options,
    );
    expect(answer.text).toBe(
      "`job` failed with exit code 1.\n\nstderr:\n200 bytes attached as `job-stderr.txt`.\n\noutput:\n101 bytes attached as `job-output.txt`.",
    );
    expect(answer.files.map((f) => [f.name, f.data.length])).toEqual([
      ["job-stderr.txt", 200],
      ["job-output.txt", 101],
    ]);
  });
});
