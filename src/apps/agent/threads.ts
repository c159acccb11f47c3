/**
 * The answers of the threads the agent is in: the one running in each thread, and those queued
 * behind it (which threads it follows is in the store: `follows.ts`). The pipeline runs a channel's posts in order, so the
 * agent does not answer inside its handler: a long answer would hold up `!stop` and every other
 * thread of the channel. Each thread has its own queue here instead; threads run side by side.
 */

export interface Run {
  readonly root: string;
  readonly controller: AbortController;
  /** The question and the answer's posts: a 🛑 on any of them stops the run. */
  readonly posts: Set<string>;
}

export class Threads {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly active = new Map<string, Run>();
  private readonly byPost = new Map<string, Run>();
  private readonly all = new Set<Promise<void>>();
  private closing = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Queues `work` behind the thread's running answer; the promise settles once it is done (a failure goes to `onError`). */
  enqueue(root: string, question: string, work: (run: Run) => Promise<void>): Promise<void> {
    const previous = this.tails.get(root) ?? Promise.resolve();
    const task = previous.then(async () => {
      const run: Run = { root, controller: new AbortController(), posts: new Set([question]) };
      if (this.closing) run.controller.abort(); // the bot is stopping: queued answers end at once
      this.active.set(root, run);
      this.byPost.set(question, run);
      try {
        await work(run);
      } finally {
        this.active.delete(root);
        for (const id of run.posts) this.byPost.delete(id);
      }
    });
    const settled = task.catch(this.onError);
    this.tails.set(root, settled);
    this.all.add(settled);
    void settled.then(() => {
      this.all.delete(settled);
      if (this.tails.get(root) === settled) this.tails.delete(root);
    });
    return settled;
  }

  /** A post of the answer, so that a reaction on it finds the run. */
  addPost(run: Run, postId: string): void {
    run.posts.add(postId);
    this.byPost.set(postId, run);
  }

  /** Stops the thread's running answer; false when none runs. */
  stopThread(root: string): boolean {
    return this.stop(this.active.get(root));
  }

  /** Stops the answer whose question or answer post this is; false when none. */
  stopByPost(postId: string): boolean {
    return this.stop(this.byPost.get(postId));
  }

  /** Stops every answer (the bot is going away) and waits for them to end. */
  async stopAll(): Promise<void> {
    this.closing = true;
    for (const run of this.active.values()) this.stop(run);
    while (this.all.size > 0) await Promise.all([...this.all]);
  }

  private stop(run: Run | undefined): boolean {
    if (!run || run.controller.signal.aborted) return false;
    run.controller.abort();
    return true;
  }
}
