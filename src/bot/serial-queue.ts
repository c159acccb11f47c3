/**
 * Runs tasks one after another per key (a channel), in parallel across keys, so that two
 * commands in one channel never interleave (a todo `add` then `list` stay in order). A task
 * that rejects is reported to `onError` and the queue goes on.
 */
export class SerialQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly all = new Set<Promise<void>>();

  constructor(private readonly onError: (error: unknown) => void) {}

  push(key: string, task: () => Promise<void>): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(task).catch(this.onError);
    this.tails.set(key, run);
    this.all.add(run);
    void run.then(() => {
      this.all.delete(run);
      if (this.tails.get(key) === run) this.tails.delete(key);
    });
    return run;
  }

  /** Resolves when every task queued so far has finished. */
  async drain(): Promise<void> {
    while (this.all.size > 0) await Promise.all([...this.all]);
  }

  get size(): number {
    return this.all.size;
  }
}
