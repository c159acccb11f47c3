import type { CompiledQuery, Kysely, QueryResult, Transaction } from "kysely";
import { kysely } from "./kysely.js";
import type { Database } from "./schema.js";

/** Runs a single write statement; resolves once it is committed. */
export type Write = <Row>(query: CompiledQuery<Row>) => Promise<QueryResult<Row>>;

/** Runs `work` as one transaction; resolves with its result once committed. */
export type RunTransaction = <T>(work: (trx: Transaction<Database>) => Promise<T>) => Promise<T>;

interface Queued {
  /** A single statement, or a unit of several (`work`) that needs a savepoint of its own. */
  query?: CompiledQuery;
  work?: (trx: Transaction<Database>) => Promise<unknown>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for SQLite: the writes queued during one turn of the event loop (claims, todo
 * adds, outbox entries and "sent" marks of many messages at once) run in one transaction. A
 * commit costs several times the statements themselves, and SQLite runs one writer at a time
 * anyway. Each caller still gets its own result (or error), after the commit: a failed statement
 * undoes only itself (SQLite keeps the transaction), a failed unit of several rolls back to its
 * savepoint. PostgreSQL runs writes as they come: it has a pool of connections, and a failed
 * statement would abort a shared transaction.
 */
export class GroupCommit {
  private queue: Queued[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly db: Kysely<Database>) {}

  readonly write: Write = <Row>(query: CompiledQuery<Row>) =>
    this.enqueue({ query }) as Promise<QueryResult<Row>>;

  readonly transaction: RunTransaction = <T>(work: (trx: Transaction<Database>) => Promise<T>) =>
    this.enqueue({ work }) as Promise<T>;

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

  private enqueue(what: Pick<Queued, "query" | "work">): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...what, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async run(batch: Queued[]): Promise<void> {
    if (batch.length === 1) {
      const [one] = batch as [Queued];
      const alone = one.query
        ? this.db.executeQuery(one.query)
        : this.db.transaction().execute(one.work!);
      await alone.then(one.resolve, one.reject);
      return;
    }
    const outcomes: Array<{ ok: true; result: unknown } | { ok: false; error: unknown }> = [];
    try {
      await this.db.transaction().execute(async (trx) => {
        for (const item of batch) outcomes.push(await runOne(trx, item));
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

const SAVEPOINT = kysely.CompiledQuery.raw("savepoint unit");
const RELEASE = kysely.CompiledQuery.raw("release unit");
const ROLLBACK_TO = kysely.CompiledQuery.raw("rollback to unit");

async function runOne(
  trx: Transaction<Database>,
  item: Queued,
): Promise<{ ok: true; result: unknown } | { ok: false; error: unknown }> {
  if (item.query)
    return trx.executeQuery(item.query).then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
  await trx.executeQuery(SAVEPOINT);
  try {
    const result = await item.work!(trx);
    await trx.executeQuery(RELEASE);
    return { ok: true, result };
  } catch (error) {
    await trx.executeQuery(ROLLBACK_TO);
    await trx.executeQuery(RELEASE);
    return { ok: false, error };
  }
}
