/**
 * The HTTP answer of one integration request, open until the deadline. Mattermost waits for
 * the answer (up to 30 s, and the user stares at a spinner), so a handler that is quick answers
 * inline; after `answerWithinMs` the request is acknowledged with `{}` and whatever comes
 * later is delivered another way (response_url, REST).
 */
export class AnswerSlot {
  /** The body the HTTP request is answered with. */
  readonly body: Promise<object>;
  private resolve!: (body: object) => void;
  private open = true;
  private readonly timer: NodeJS.Timeout;

  constructor(answerWithinMs: number, onDeadline: () => object = () => ({})) {
    this.body = new Promise((resolve) => (this.resolve = resolve));
    this.timer = setTimeout(() => this.close(onDeadline()), answerWithinMs);
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
