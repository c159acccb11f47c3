/**
 * How `mmbot start` stops: the first SIGTERM or SIGINT starts a graceful stop (no new events,
 * running handlers finish, replies go out, connections close, exit 0); a second one exits at once.
 */
import { constants } from "node:os";
import { flushLog, type Logger } from "../log.js";

/**
 * How long a graceful stop waits for running handlers and their replies: under the 10 s that
 * `docker stop` and Kubernetes give before a SIGKILL, so the process still exits cleanly.
 */
export const STOP_GRACE_MS = 8_000;
const FLUSH_CAP_MS = 200;

/** Resolves with the first stop signal; a second one exits the process at once (128 + its number). */
export function firstStopSignal(logger: Logger): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        logger.warn(
          { signal },
          "second stop signal: exiting now, without waiting for running handlers",
        );
        const exit = () => process.exit(128 + constants.signals[signal]);
        // the line above is written asynchronously: give it a moment, no more
        setTimeout(exit, FLUSH_CAP_MS).unref();
        void flushLog(logger).then(exit);
        return;
      }
      stopping = true;
      // running handlers get up to STOP_GRACE_MS; the signal again exits at once
      logger.info({ signal }, "shutting down");
      resolve(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
