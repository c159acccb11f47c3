/**
 * The rate budget on a clock of the test's own (time moves only when the test says): the burst,
 * the refill, the order of waiting calls, typing skipped when short, following the server's
 * rate-limit headers, and the log of a long wait.
 */
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { Writable } from "node:stream";
import {
  RateBudget,
  rateLimitInfo,
  type BudgetClock,
  type BudgetTicket,
} from "../../src/mattermost/rate-budget.js";

/** A clock whose timers fire when `advance` passes their time. */
class ManualClock implements BudgetClock {
  private time = 0;
  private timers = new Map<number, { at: number; callback: () => void }>();
  private nextId = 1;
  now(): number {
    return this.time;
  }
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  /** Moves time forward by `ms`, firing due timers in order; lets granted promises settle (a fast server). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    for (;;) {
      await flush();
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
      await flush();
    }
    this.time = end;
    await flush();
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));
/** An answer of a server whose limit is far away: the budget paces by its own figures. */
const roomy = { limit: 1000, remaining: 999, resetSeconds: 1, refused: false };

function logged() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino(
    { level: "debug" },
    new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) }),
  );
  return { logger, lines };
}

function budget(rate: number, burst: number) {
  const clock = new ManualClock();
  const log = logged();
  return {
    clock,
    log,
    budget: new RateBudget({ requestsPerSecond: rate, burst, clock, logger: log.logger }),
  };
}

/** Takes tickets, records the order they are granted in, and answers each at once (a server far from its limit). */
function track(b: RateBudget, names: [string, "first" | "edit"][]): { granted: string[] } {
  const granted: string[] = [];
  for (const [name, priority] of names) {
    void b.take(priority).then((t) => {
      granted.push(name);
      t.answered(roomy);
    });
  }
  return { granted };
}

describe("rate budget: the bucket", () => {
  it("sends one call at a time until the first answer, then the rest of the burst at once", async () => {
    const { budget: b } = budget(4, 4);
    const first = await b.take();
    let more = 0;
    for (let i = 0; i < 3; i++) void b.take().then(() => more++);
    await flush();
    expect(more).toBe(0);
    first.answered(roomy);
    await flush();
    expect(more).toBe(3);
  });

  it("lets the burst through at once, then one call per interval", async () => {
    const { clock, budget: b } = budget(4, 2);
    const { granted } = track(b, [
      ["a", "first"],
      ["b", "first"],
      ["c", "first"],
      ["d", "first"],
    ]);
    await flush();
    expect(granted).toEqual(["a", "b"]);
    await clock.advance(240);
    expect(granted).toEqual(["a", "b"]);
    await clock.advance(20);
    expect(granted).toEqual(["a", "b", "c"]);
    await clock.advance(250);
    expect(granted).toEqual(["a", "b", "c", "d"]);
  });

  it("lets waiting replies go before waiting edits, in the order they came", async () => {
    const { clock, budget: b } = budget(10, 1);
    const { granted } = track(b, [
      ["first reply", "first"],
      ["edit 1", "edit"],
      ["edit 2", "edit"],
      ["reply 2", "first"],
      ["reply 3", "first"],
    ]);
    await clock.advance(1000);
    expect(granted).toEqual(["first reply", "reply 2", "reply 3", "edit 1", "edit 2"]);
  });

  it("skips typing while calls wait or it would take the last call's worth; sends it again once the budget is back", async () => {
    const { clock, budget: b } = budget(2, 4);
    const typing = () => {
      const ticket = b.tryTake();
      ticket?.answered(roomy);
      return ticket !== undefined;
    };
    expect([typing(), typing(), typing()]).toEqual([true, true, true]); // 2 of 4 left
    expect(typing()).toBe(false); // 1 left: kept for a reply
    (await b.take()).answered(roomy); // the last token: replies may take it
    void b.take(); // waits
    await clock.advance(100);
    expect(typing()).toBe(false);
    await clock.advance(2500);
    expect(typing()).toBe(true);
  });

  it("lets everything through at once while the server's answers carry no rate-limit headers (its limiter is off); a 429 turns pacing on", async () => {
    const { clock, budget: b } = budget(2, 2);
    (await b.take()).answered(undefined);
    let granted = 0;
    for (let i = 0; i < 10; i++) void b.take().then((t) => (granted++, t.answered(undefined)));
    await flush();
    expect(granted).toBe(10);
    (await b.take()).answered(undefined, true); // a proxy's 429, without headers
    const after = track(b, [
      ["a", "first"],
      ["b", "first"],
      ["c", "first"],
    ]);
    await flush();
    expect(after.granted).toEqual(["a", "b"]);
    await clock.advance(500);
    expect(after.granted).toEqual(["a", "b", "c"]);
  });

  it("stops pacing when the answers after a 429 carry no rate-limit headers (the refusal was not the server's limiter)", async () => {
    const { clock, budget: b, log } = budget(2, 2);
    (await b.take()).answered(undefined);
    (await b.take()).answered(undefined, true); // a proxy's (or a fault's) 429, without headers
    let granted = 0;
    const answerBare = (t: BudgetTicket) => (granted++, t.answered(undefined));
    for (let i = 0; i < 20; i++) void b.take().then(answerBare);
    await flush();
    expect(granted).toBe(2); // paced at 2/s
    await clock.advance(2_000); // paced, 4 more by now: the fifth answer without headers in a row...
    expect(granted).toBe(20); // ...ended the pacing, and everything waiting went at once
    expect(log.lines.map((l) => l.msg)).toContain(
      "rate budget: the server's answers carry no rate-limit headers (5 in a row); calls no longer wait",
    );
    (await b.take()).answered(undefined, true); // a 429 again: pacing again
    const after = track(b, [
      ["a", "first"],
      ["b", "first"],
      ["c", "first"],
    ]);
    await flush();
    expect(after.granted).toEqual(["a", "b"]);
  });

  it("refuses a rate that is not a positive number", () => {
    expect(() => new RateBudget({ requestsPerSecond: 0, logger: logged().logger })).toThrow(
      /requestsPerSecond/,
    );
    expect(
      () => new RateBudget({ requestsPerSecond: Number.NaN, logger: logged().logger }),
    ).toThrow(/requestsPerSecond/);
  });
});

describe("rate budget: following the server", () => {
  const answer = (limit: number, remaining: number, reset: number, refused = false) => ({
    limit,
    remaining,
    resetSeconds: reset,
    refused,
  });

  it("holds no more than the server says is left", async () => {
    const { budget: b } = budget(8, 16);
    const ticket = await b.take();
    ticket.answered(answer(11, 1, 3));
    expect(b.tryTake()).toBeUndefined();
    const { granted } = track(b, [
      ["a", "first"],
      ["b", "first"],
    ]);
    await flush();
    expect(granted).toEqual(["a"]);
  });

  it("refills no faster than the rate the server's answers prove: a server at 5/s slows a budget of 8/s", async () => {
    const { clock, budget: b } = budget(8, 16);
    expect(b.rate).toBe(8);
    // a GCRA at 5/s with a burst of 10 (limit 11), drained: remaining + accepted grows 5 a second
    let accepted = 0;
    let refused = 0;
    let serverTokens = 11;
    let last = 0;
    const serve = (t: BudgetTicket) => {
      serverTokens = Math.min(11, serverTokens + ((clock.now() - last) / 1000) * 5);
      last = clock.now();
      const refusing = serverTokens < 1;
      if (refusing) refused++;
      else {
        serverTokens -= 1;
        accepted++;
      }
      t.answered(
        answer(11, Math.floor(serverTokens), Math.ceil((11 - serverTokens) / 5), refusing),
      );
    };
    serve(await b.take()); // a bot starts with one call (who am I), then the work comes
    for (let i = 0; i < 60; i++) void b.take().then(serve);
    await clock.advance(10_000);
    expect(b.rate).toBeLessThanOrEqual(5);
    expect(b.rate).toBeGreaterThan(4.5);
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBe(0); // never sent into a refusal
  });

  it("after a refusal, learns the rate again from that refusal's headers", async () => {
    const { budget: b } = budget(8, 16);
    const ticket = await b.take();
    ticket.answered(answer(11, 0, 3, true));
    expect(b.rate).toBeCloseTo(10 / 3);
  });

  it("reads the headers of an answer (none: no limit on)", () => {
    const headers = (h: Record<string, string>) => new Headers(h);
    expect(rateLimitInfo(200, headers({}))).toBeUndefined();
    expect(
      rateLimitInfo(
        429,
        headers({
          "X-RateLimit-Limit": "11",
          "X-RateLimit-Remaining": "0",
          "X-RateLimit-Reset": "3",
        }),
      ),
    ).toEqual({ limit: 11, remaining: 0, resetSeconds: 3, refused: true });
    expect(
      rateLimitInfo(200, headers({ "X-RateLimit-Limit": "nope", "X-RateLimit-Remaining": "0" })),
    ).toBeUndefined();
    // an accepted call, limited by token and by user id: each header twice, joined
    expect(
      rateLimitInfo(
        200,
        headers({
          "X-RateLimit-Limit": "6, 6",
          "X-RateLimit-Remaining": "4, 3",
          "X-RateLimit-Reset": "1, 2",
        }),
      ),
    ).toEqual({ limit: 6, remaining: 3, resetSeconds: 2, refused: false });
  });
});

describe("rate budget: the log", () => {
  it("says once that calls wait longer than a second, and once when it caught up", async () => {
    const { clock, log, budget: b } = budget(1, 1);
    track(b, [
      ["a", "first"],
      ["b", "first"],
      ["c", "first"],
      ["d", "first"],
    ]);
    await clock.advance(5000);
    const messages = log.lines.map((l) => l.msg);
    expect(messages.filter((m) => m.includes("wait for the rate budget"))).toHaveLength(1);
    expect(messages.filter((m) => m.includes("caught up"))).toHaveLength(1);
    expect(log.lines.find((l) => l.msg.includes("wait for the rate budget"))!.level).toBe(40);
  });

  it("says it once when calls come one after another and each waits a little, over more than a second", async () => {
    const { clock, log, budget: b } = budget(4, 1); // a token every 250 ms, a call every 200 ms or so
    for (let i = 0; i < 10; i++) {
      let ticket: BudgetTicket | undefined;
      void b.take().then((t) => (ticket = t));
      while (!ticket) await clock.advance(10);
      ticket.answered(roomy);
      await clock.advance(100); // the next call comes once this one is answered, as a channel's replies do
    }
    await clock.advance(1000);
    expect(
      log.lines.map((l) => l.msg).filter((m) => m.includes("wait for the rate budget")),
    ).toHaveLength(1);
    expect(log.lines.map((l) => l.msg).filter((m) => m.includes("caught up"))).toHaveLength(1);
  });

  it("says nothing when calls wait less than a second", async () => {
    const { clock, log, budget: b } = budget(10, 1);
    track(b, [
      ["a", "first"],
      ["b", "first"],
      ["c", "first"],
    ]);
    await clock.advance(1000);
    expect(log.lines).toEqual([]);
  });
});
