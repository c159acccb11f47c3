import { createRequire } from "node:module";
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** `log.format`: JSON lines, readable lines, or (auto) readable on a terminal, JSON elsewhere. */
export const LOG_FORMATS = ["auto", "json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  /** Default `MMBOT_LOG_LEVEL`, else `info`. */
  level?: string;
  name?: string;
  /** Default `auto`. */
  format?: LogFormat;
}

/** A logger on stderr: JSON lines, or one readable (coloured on a terminal) line per entry. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    name: options.name ?? "mmbot",
    level: options.level ?? process.env.MMBOT_LOG_LEVEL ?? "info",
  };
  return pino(settings, isPretty(options.format ?? "auto") ? prettyStderr() : jsonStderr());
}

/** Whether `format` gives readable lines here (auto: when stderr is a terminal). */
export function isPretty(format: LogFormat): boolean {
  return format === "pretty" || (format === "auto" && process.stderr.isTTY === true);
}

/** Resolves once what was logged so far is written (JSON lines are written asynchronously). */
export function flushLog(logger: Logger): Promise<void> {
  return new Promise((resolve) => logger.flush(() => resolve()));
}

/** A logger that drops everything, for tests and library users who bring none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}

/**
 * JSON lines, written asynchronously (sonic-boom). Its own flush() calls back at once; this one
 * waits until what is queued is written, so the CLI can print its lines after the log's.
 */
function jsonStderr(): DestinationStream & { flush(done: () => void): void } {
  const stderr = pino.destination({ fd: 2, sync: false });
  let pending = false;
  stderr.on("drain", () => (pending = false)); // emitted each time the queue is written out
  return {
    write(line: string) {
      pending = true;
      stderr.write(line);
    },
    flush(done: () => void) {
      if (!pending) return done();
      const settled = () => {
        stderr.off("drain", settled).off("error", settled);
        done();
      };
      stderr.once("drain", settled).once("error", settled);
    },
  };
}

/**
 * pino-pretty's formatter, written synchronously: a terminal shows log lines and the CLI's own
 * lines in the order they happened. Loaded only here, so a service logging JSON does not pay
 * its start time.
 */
function prettyStderr(): DestinationStream {
  const require = createRequire(import.meta.url);
  const { prettyFactory } = require("pino-pretty") as typeof import("pino-pretty");
  const format = prettyFactory({
    colorize: colourWanted(),
    singleLine: true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,name",
  });
  const stderr = pino.destination({ fd: 2, sync: true }); // sonic-boom: retries a full pipe
  return { write: (line: string) => void stderr.write(format(line)) };
}

function colourWanted(): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR) return true;
  return process.stderr.isTTY === true && process.env.TERM !== "dumb";
}
