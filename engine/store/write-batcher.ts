import type { Executor } from './db.ts';

interface Pending<Scope> {
  fn: (scope: Scope) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups the small write transactions a process issues at the same moment
 * (a worker starting and finishing many tries at once) into one transaction:
 * one lock hand-over and one commit instead of one per try. One batch is in
 * flight at a time: writes that arrive meanwhile wait for it and go together
 * in the next, so the busier the store (a PostgreSQL commit is an fsync), the
 * larger the batches — group commit. An idle process's write waits one turn
 * of the event loop.
 *
 * Optimistic: the writes run one after another in the shared transaction
 * with no savepoints (on PostgreSQL each would be a round trip). If one
 * throws, the whole transaction is rolled back and every write is run again
 * alone, so only the failing one's caller sees its error. Batched functions
 * must therefore only touch the database through their scope (they may run
 * twice); compare-and-set semantics are unchanged.
 */
export class WriteBatcher<Scope> {
  private pending: Array<Pending<Scope>> = [];
  private scheduled = false;
  private inFlight = false;

  constructor(
    private readonly write: <T>(fn: (tx: Executor) => Promise<T>) => Promise<T>,
    /** What a batched write sees of the batch's transaction (the Store makes a view of itself on it). */
    private readonly scopeOf: (tx: Executor) => Scope,
  ) {}

  run<T>(fn: (scope: Scope) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.inFlight = true;
      void this.flush().finally(() => {
        this.inFlight = false;
        this.schedule();
      });
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 1) return this.alone(batch[0]!);
    let values: unknown[];
    try {
      values = await this.write(async (tx) => {
        const scope = this.scopeOf(tx);
        const results: unknown[] = [];
        for (const item of batch) results.push(await item.fn(scope));
        return results;
      });
    } catch {
      // Something failed (a write, the commit, a lock timeout): nothing of the batch was written.
      await Promise.all(batch.map((item) => this.alone(item)));
      return;
    }
    for (const [i, item] of batch.entries()) item.resolve(values[i]);
  }

  /** One write in its own transaction: a failure rolls back just this write. */
  private alone(item: Pending<Scope>): Promise<void> {
    return this.write(async (tx) => item.fn(this.scopeOf(tx))).then(item.resolve, item.reject);
  }
}
