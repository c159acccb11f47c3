/**
 * "typing…" while the model thinks between tool rounds: started when the tools' results are
 * sent back, stopped by the next piece of text (or the end). Before the first text the stream
 * shows typing itself.
 */
import type { Logger } from "../../log.js";

export interface RoundTyping {
  start(): void;
  stop(): void;
  /** The pieces as they come, typing stopped at each. */
  stoppedByText(pieces: AsyncIterable<string>): AsyncIterable<string>;
}

export function betweenRounds(
  send: () => Promise<unknown>,
  intervalMs: number,
  logger: Logger,
): RoundTyping {
  let timer: NodeJS.Timeout | undefined;
  const once = () =>
    void send().catch((error: unknown) => logger.debug({ err: error }, "agent: typing failed"));
  const typing: RoundTyping = {
    start() {
      if (timer) return;
      once();
      timer = setInterval(once, intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    async *stoppedByText(pieces) {
      try {
        for await (const piece of pieces) {
          typing.stop();
          yield piece;
        }
      } finally {
        typing.stop();
      }
    },
  };
  return typing;
}
