import { pino, type Logger } from "pino";

export type { Logger };

/** A JSON logger on stderr; `level` from `MMBOT_LOG_LEVEL` (default `info`). */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    { name: options.name ?? "mmbot", level: options.level ?? process.env.MMBOT_LOG_LEVEL ?? "info" },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A logger that drops everything, for tests and library users who bring none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
