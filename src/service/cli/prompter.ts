/**
 * Questions on the terminal, or over a pipe (answers one per line): readline's line iterator
 * keeps lines that arrive before they are asked for. A secret is not echoed on a terminal.
 */
import { createInterface, type Interface } from "node:readline";
import { Writable } from "node:stream";
import { MmbotError } from "../../errors.js";

export class Prompter {
  private readonly rl: Interface;
  private readonly lines: AsyncIterator<string>;
  private readonly terminal: boolean;
  private muted = false;

  constructor(
    input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {
    this.terminal = input.isTTY === true;
    // readline echoes what is typed through this; muted while a secret is typed
    const echo = new Writable({
      write: (chunk, _encoding, done) => {
        if (!this.muted) output.write(chunk);
        done();
      },
    });
    this.rl = createInterface({ input, output: echo, terminal: this.terminal });
    this.lines = this.rl[Symbol.asyncIterator]();
    // on a terminal readline takes Ctrl-C itself (and would only pause): stop, as the user asked
    this.rl.on("SIGINT", () => {
      output.write("\n");
      process.exit(130);
    });
  }

  /** Asks until `check` accepts the answer (it returns the problem, or undefined); Enter gives `fallback`. */
  async ask(
    question: string,
    options: {
      fallback?: string;
      secret?: boolean;
      check?: (answer: string) => string | undefined;
    } = {},
  ): Promise<string> {
    for (;;) {
      const shown = options.fallback && !options.secret ? ` [${options.fallback}]` : "";
      this.output.write(`${question}${shown}: `);
      this.muted = options.secret === true;
      const next = await this.lines.next();
      this.muted = false;
      // what a terminal would have echoed: a transcript of answers from a pipe reads as a dialogue
      if (!this.terminal)
        this.output.write(`${options.secret ? "(hidden)" : (next.value?.trim() ?? "")}\n`);
      else if (options.secret) this.output.write("\n");
      if (next.done)
        throw new MmbotError(
          "INIT_INPUT",
          `the input ended before an answer to "${question}" (without questions: mmbot init --yes with the answers as flags, see mmbot init --help)`,
        );
      const answer = next.value.trim() || options.fallback || "";
      const problem = options.check?.(answer);
      if (problem === undefined) return answer;
      this.output.write(`  ${problem}\n`);
    }
  }

  close(): void {
    this.rl.close();
  }
}
