import { sql } from 'kysely';
import type { Executor, Store } from './store.ts';

/** What a batched write sees: the store, as a view on the batch's transaction. */
export interface BatchScope {
  store: Store;
}

interface Pending {
  fn: (scope: BatchScope) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups the small write transactions a process issues at the same moment
 * (a worker starting and finishing many tries at once) into one transaction:
 * one lock hand-over and one commit instead of one per try. Each write runs in
 * its own SAVEPOINT, so one that throws is rolled back alone and only its
 * caller sees the error; compare-and-set semantics are unchanged. A write waits
 * at most one turn of the event loop for company.
 */
export class WriteBatcher {
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly write: <T>(fn: (tx: Executor) => Promise<T>) => Promise<T>,
    private readonly scopeOf: (tx: Executor) => BatchScope,
  ) {}

  run<T>(fn: (scope: BatchScope) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    if (batch.length === 1) {
      // Alone in its transaction: a failure rolls back just this write, no savepoint needed.
      const [only] = batch as [Pending];
      await this.write((tx) => only.fn(this.scopeOf(tx))).then(only.resolve, only.reject);
      return;
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      await this.write(async (tx) => {
        const scope = this.scopeOf(tx);
        for (const [i, item] of batch.entries()) {
          const savepoint = sql.raw(`batch_${i}`);
          await sql`savepoint ${savepoint}`.execute(tx);
          try {
            outcomes.push({ ok: true, value: await item.fn(scope) });
          } catch (error) {
            await sql`rollback to savepoint ${savepoint}`.execute(tx);
            outcomes.push({ ok: false, error });
          }
          await sql`release savepoint ${savepoint}`.execute(tx);
        }
      });
    } catch (error) {
      // The transaction itself failed (commit, lock timeout): nothing of it was written.
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
