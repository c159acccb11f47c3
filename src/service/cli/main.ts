#!/usr/bin/env node
// The `mmbot` command: commander parses the command line (program.ts), each command
// runs from its own file in this folder, and a failure is printed by failure.ts.
import { readFileSync } from "node:fs";
import { CommanderError } from "@commander-js/extra-typings";
import { reportFailure } from "./failure.js";
import { buildProgram } from "./program.js";

const { version } = JSON.parse(
  readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
) as { version: string };

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(version, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv.length === 0 ? ["--help"] : argv, { from: "user" });
    return exitCode;
  } catch (error) {
    // commander has printed the help, the version, or the refused command line with its usage
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportFailure(error);
  }
}

// `mmbot doctor --json | head`: a reader that stops early is no error
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

main(process.argv.slice(2)).then((code) => process.exit(code));
