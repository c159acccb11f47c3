import type { CompiledQuery, Kysely, QueryResult } from "kysely";
import type { Database } from "./schema.js";

/** Runs a single write statement; resolves once it is committed. */
export type Write = <Row>(query: CompiledQuery<Row>) => Promise<QueryResult<Row>>;

interface Queued {
  query: CompiledQuery;
  resolve: (result: QueryResult<unknown>) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite: the single writes queued during one turn of the event loop (claims,
 * outbox entries, "sent" marks of many messages at once) run in one transaction. A commit costs
 * several times the statement itself, and SQLite runs one writer at a time anyway. Each caller
 * still gets its own result (or error), after the commit. PostgreSQL runs writes as they come:
 * it has a pool of connections and a failed statement would abort a shared transaction.
 */
export class GroupCommit {
  private queue: Queued[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  readonly write: Write = <Row>(query: CompiledQuery<Row>) =>
    new Promise<QueryResult<Row>>((resolve, reject) => {
      this.queue.push({ query, resolve: resolve as Queued["resolve"], reject });
      if (this.queue.length === 1) setImmediate(() => void this.flush());
    });

  /** Runs what is queued now; resolves when it is committed (or failed). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.flushing = this.run(batch);
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }

  private async run(batch: Queued[]): Promise<void> {
    if (batch.length === 1) {
      const [one] = batch as [Queued];
      await this.db.executeQuery(one.query).then(one.resolve, one.reject);
      return;
    }
    const outcomes: Array<{ ok: true; result: QueryResult<unknown> } | { ok: false; error: unknown }> = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const item of batch) {
          // a failed statement (a constraint) fails its caller only: SQLite keeps the transaction
          outcomes.push(await trx.executeQuery(item.query).then((result) => ({ ok: true as const, result }), (error: unknown) => ({ ok: false as const, error })));
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error); // the commit failed: nothing of the batch is stored
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.result);
      else item.reject(outcome.error);
    });
  }
}
