import type { CompiledQuery, DatabaseConnection, Driver, QueryResult } from 'kysely';
import { SqliteDialect, SqliteDriver, type SqliteDialectConfig } from 'kysely';
import { isCorruptionError, StoreCorruptError } from './errors.ts';

/** How long a statement waits for another process's write lock before failing. */
export const LOCK_WAIT_MS = 30_000;

/**
 * SQLite's own busy handler waits for a lock by sleeping inside the statement
 * (1, 2, 5, 10, 15, 20, 25 ms...), which blocks the whole Node process: a
 * worker waiting 10 ms for another worker's 100 µs transaction cannot run or
 * finish any of its other tasks meanwhile. With `busy_timeout = 0` a locked
 * database answers SQLITE_BUSY at once and this driver retries the statement
 * after yielding to the event loop, first on the next turns of the loop and
 * then every millisecond, up to {@link LOCK_WAIT_MS}.
 *
 * Only plain SQLITE_BUSY / SQLITE_BUSY_RECOVERY are retried: a stale read
 * snapshot (SQLITE_BUSY_SNAPSHOT) can never succeed and fails as before.
 */
export class LockWaitSqliteDialect extends SqliteDialect {
  /** `file`: the database's path, named when SQLite finds it corrupt. */
  constructor(
    private readonly settings: SqliteDialectConfig,
    private readonly file: string,
  ) {
    super(settings);
  }

  override createDriver(): Driver {
    return new LockWaitDriver(new SqliteDriver(this.settings), this.file);
  }
}

class LockWaitDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly inner: SqliteDriver,
    private readonly file: string,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let wrapper = this.wrapped.get(connection);
    if (!wrapper) {
      wrapper = new LockWaitConnection(connection, this.file);
      this.wrapped.set(connection, wrapper);
    }
    return wrapper;
  }

  beginTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.beginTransaction(connection);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.rollbackTransaction(connection);
  }

  releaseConnection(): Promise<void> {
    return this.inner.releaseConnection();
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

/** Locks are held for tens to hundreds of microseconds: retry on the next turn of the loop this many times before sleeping 1 ms. */
const SPIN_ATTEMPTS = 20;

const RETRYABLE = new Set(['SQLITE_BUSY', 'SQLITE_BUSY_RECOVERY']);

class LockWaitConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly file: string,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.inner.executeQuery<R>(query);
      } catch (error) {
        // A damaged file is the user's to repair: one line naming it, whichever statement met the damage.
        if (isCorruptionError(error)) throw new StoreCorruptError(this.file, error);
        const code = (error as { code?: string }).code;
        if (!code || !RETRYABLE.has(code) || Date.now() > deadline) throw error;
        await (attempt < SPIN_ATTEMPTS
          ? new Promise<void>((resolve) => setImmediate(resolve))
          : new Promise<void>((resolve) => setTimeout(resolve, 1)));
      }
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}
