import type { Refusal } from "./allow.js";
import type { CapturedOutput, RunResult } from "./runner.js";
import { defaultBridgeTexts } from "./options.js";

/** What to post: the text, and outputs too long to show inline, to attach as files. */
export interface BridgeAnswer {
  text: string;
  files: Array<{ name: string; data: Buffer }>;
}

export interface AnswerOptions {
  /** The bridge's name, shown in every answer. */
  name: string;
  program: string;
  timeoutSeconds: number;
  inlineMaxBytes: number;
  maxOutputBytes: number;
  /** After a program that did not start: who should fix what (`BridgeTexts.programFix`). */
  programFix?: string;
}

/** The answer to a finished run: its output in code blocks (or files), and what went wrong. */
export function describeRun(result: RunResult, options: AnswerOptions): BridgeAnswer {
  const name = codeSpan(options.name);
  const outcome = result.outcome;
  if (outcome.kind === "not-started") {
    const problem =
      outcome.errorCode === "ENOENT"
        ? `the program ${codeSpan(options.program)} was not found`
        : outcome.errorCode === "EACCES"
          ? `the program ${codeSpan(options.program)} is not executable`
          : `the program ${codeSpan(options.program)} could not be started (${outcome.errorCode})`;
    return {
      text: `${name} did not run: ${problem}. ${options.programFix ?? defaultBridgeTexts.programFix}`,
      files: [],
    };
  }
  const answer: BridgeAnswer = { text: "", files: [] };
  const sections: string[] = [];
  const add = (label: string | undefined, stream: CapturedOutput, fileName: string) => {
    const section = outputSection(label, stream, fileName, options, answer.files);
    if (section) sections.push(section);
  };
  if (outcome.kind === "exited" && outcome.code === 0) {
    add(undefined, result.stdout, `${options.name}-output.txt`);
    add("stderr", result.stderr, `${options.name}-stderr.txt`);
    if (sections.length === 0) sections.push(`${name} finished with no output.`);
  } else {
    sections.push(
      outcome.kind === "exited"
        ? `${name} failed with exit code ${outcome.code}.`
        : outcome.kind === "signalled"
          ? `${name} was stopped by signal ${outcome.signal}.`
          : `${name} took longer than ${options.timeoutSeconds} s and was stopped, with every process it started.`,
    );
    const before = sections.length;
    add("stderr", result.stderr, `${options.name}-stderr.txt`);
    add("output", result.stdout, `${options.name}-output.txt`);
    if (sections.length === before) sections.push("It printed nothing.");
  }
  answer.text = sections.join("\n\n");
  return answer;
}

/** The answer to an argument the allow list refuses. */
export function describeRefusal(name: string, refusal: Refusal): string {
  return `${codeSpan(name)} did not run: argument ${refusal.position}, ${codeSpan(refusal.argument)}, is not allowed: ${refusal.reason}.`;
}

function outputSection(
  label: string | undefined,
  stream: CapturedOutput,
  fileName: string,
  options: AnswerOptions,
  files: BridgeAnswer["files"],
): string | undefined {
  if (stream.bytes.length === 0) return undefined;
  const heading = label ? `${label}:\n` : "";
  const truncated = stream.truncated
    ? `\n(only the first ${formatBytes(options.maxOutputBytes)} kept)`
    : "";
  if (stream.bytes.length > options.inlineMaxBytes) {
    files.push({ name: fileName, data: stream.bytes });
    return `${heading}${formatBytes(stream.bytes.length)} attached as ${codeSpan(fileName)}.${truncated}`;
  }
  return `${heading}${codeBlock(stream.bytes.toString("utf8"))}${truncated}`;
}

/** A fenced block whose fence is longer than any run of backticks inside, so output cannot close it. */
export function codeBlock(text: string): string {
  const body = text.replace(/\n$/, "");
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}\n${body}\n${fence}`;
}

/** Inline code that user text cannot break out of. */
export function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") || text === "" ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

function formatBytes(n: number): string {
  return n < 1024
    ? `${n} bytes`
    : n < 1_048_576
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1_048_576).toFixed(1)} MiB`;
}
