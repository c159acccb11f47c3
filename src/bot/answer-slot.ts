/**
 * The HTTP answer of one integration request, open until the deadline. Mattermost waits for
 * the answer (up to 30 s, and the user stares at a spinner), so a handler that is quick answers
 * inline; after `answerWithinMs` the request is acknowledged with `{}` and whatever comes
 * later is delivered another way (response_url, REST).
 */
export class AnswerSlot {
  private readonly body: Promise<object>;
  private resolve!: (body: object) => void;
  private open = true;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly answerWithinMs: number,
    private readonly onDeadline: () => object = () => ({}),
  ) {
    this.body = new Promise((resolve) => (this.resolve = resolve));
  }

  /**
   * The body the HTTP request is answered with. Call it once the handler has started: the
   * deadline runs from here, and a handler that answered synchronously never needs a timer.
   */
  waitForAnswer(): Promise<object> {
    if (this.open && !this.timer)
      this.timer = setTimeout(() => this.close(this.onDeadline()), this.answerWithinMs);
    return this.body;
  }

  /** Still possible to answer inline. */
  get isOpen(): boolean {
    return this.open;
  }

  /** Answers inline; false when the slot was already closed (deliver later instead). */
  close(body: object): boolean {
    if (!this.open) return false;
    this.open = false;
    clearTimeout(this.timer);
    this.resolve(body);
    return true;
  }
}
