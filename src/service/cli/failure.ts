/**
 * What a failed command prints: the server's refusal as the server gave it, an MmbotError's
 * message, or for anything unexpected one line with a reference to the detail in the log.
 */
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { MattermostApiError, MmbotError } from "../../errors.js";
import { createLogger, flushLog, isPretty, LOG_FORMATS, type LogFormat } from "../../log.js";

/** Prints the failure on stderr; resolves to the exit code (1). */
export async function reportFailure(error: unknown): Promise<number> {
  if (error instanceof MattermostApiError) {
    // as the server gave it: status, error id, message, request id (to find it in the server's log)
    const detail = [error.serverErrorId, error.requestId && `request ${error.requestId}`]
      .filter(Boolean)
      .join(", ");
    console.error(`mmbot: the server refused: ${error.message}${detail ? ` (${detail})` : ""}`);
  } else if (error instanceof MmbotError) {
    console.error(`mmbot: ${error.message}`);
  } else {
    const ref = randomBytes(4).toString("hex");
    const where = await logUnexpected(error, ref);
    console.error(
      `mmbot: unexpected error: ${error instanceof Error ? error.message : String(error)} (ref ${ref}; the detail is ${where})`,
    );
  }
  return 1;
}

/**
 * Logs the error with its stack: on stderr as a JSON line where the log is collected, in a file
 * when stderr is a terminal (which shows the one line, not a stack trace). Says where.
 */
async function logUnexpected(error: unknown, ref: string): Promise<string> {
  const format = process.env.MMBOT_LOG_FORMAT as LogFormat | undefined;
  if (isPretty(format && LOG_FORMATS.includes(format) ? format : "auto")) {
    const file = join(tmpdir(), `mmbot-error-${ref}.log`);
    pino({ name: "mmbot" }, pino.destination({ dest: file, sync: true })).error(
      { err: error, ref },
      "unexpected error",
    );
    return `in ${file}`;
  }
  const logger = createLogger({ level: "info", format: "json" });
  logger.error({ err: error, ref }, "unexpected error");
  await flushLog(logger);
  return `logged on stderr with "ref":"${ref}"`;
}
