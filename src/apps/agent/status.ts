/**
 * The question's status as reactions of the bot on it, as the work goes: received (👀), working
 * on a tool (🛠), done (✅) or failed (⚠️), each replacing the one before; a stopped answer
 * keeps none. Reactions are sent in order, one at a time; a failure to react is logged and
 * changes nothing else.
 */
import type { Logger } from "../../log.js";

/** Emoji names for each stage; an empty or absent one: no reaction at that stage. */
export interface StatusReactions {
  received?: string;
  tool?: string;
  done?: string;
  failed?: string;
}

export const DEFAULT_STATUS_REACTIONS: Required<StatusReactions> = {
  received: "eyes",
  tool: "hammer_and_wrench",
  done: "white_check_mark",
  failed: "warning",
};

export type Stage = keyof StatusReactions | "stopped";

export class QuestionStatus {
  private current: string | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly emojis: StatusReactions | false,
    private readonly react: (emoji: string) => Promise<void>,
    private readonly unreact: (emoji: string) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** Moves to `stage`: its reaction added, the previous one removed (queued behind the others). */
  set(stage: Stage): void {
    if (this.emojis === false) return;
    const next = stage === "stopped" ? undefined : this.emojis[stage] || undefined;
    if (next === this.current) return;
    const previous = this.current;
    this.current = next;
    this.chain = this.chain.then(async () => {
      try {
        if (next) await this.react(next);
        if (previous) await this.unreact(previous);
      } catch (error) {
        this.logger.debug({ err: error, stage }, "agent: a status reaction failed");
      }
    });
  }

  /** Resolves once every reaction asked for is sent. */
  settled(): Promise<void> {
    return this.chain;
  }
}
