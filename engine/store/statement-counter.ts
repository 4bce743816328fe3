import type { CompiledQuery, DatabaseConnection, Dialect, Driver, Kysely, QueryResult, TransactionSettings } from 'kysely';

/**
 * Statements this process sent to the store and transactions it committed
 * (a debug counter: the bench prints them per task). On PostgreSQL every
 * statement is a network round trip and every commit an fsync.
 */
export interface StatementCounts {
  statements: number;
  commits: number;
}

export const newCounts = (): StatementCounts => ({ statements: 0, commits: 0 });

const COMMIT = /^\s*commit\b/i;

/** Wraps a dialect so that every statement (BEGIN and COMMIT included) is counted once, however often a driver retries it. */
export class CountingDialect implements Dialect {
  constructor(
    private readonly inner: Dialect,
    private readonly counts: StatementCounts,
  ) {}

  createAdapter(): ReturnType<Dialect['createAdapter']> {
    return this.inner.createAdapter();
  }

  createQueryCompiler(): ReturnType<Dialect['createQueryCompiler']> {
    return this.inner.createQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>): ReturnType<Dialect['createIntrospector']> {
    return this.inner.createIntrospector(db);
  }

  createDriver(): Driver {
    return new CountingDriver(this.inner.createDriver(), this.counts);
  }
}

class CountingDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, CountingConnection>();
  private readonly unwrapped = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly counts: StatementCounts,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let wrapper = this.wrapped.get(connection);
    if (!wrapper) {
      wrapper = new CountingConnection(connection, this.counts);
      this.wrapped.set(connection, wrapper);
      this.unwrapped.set(wrapper, connection);
    }
    return wrapper;
  }

  private raw(connection: DatabaseConnection): DatabaseConnection {
    return this.unwrapped.get(connection) ?? connection;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    this.counts.statements++;
    return this.inner.beginTransaction(this.raw(connection), settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.counts.statements++;
    this.counts.commits++;
    return this.inner.commitTransaction(this.raw(connection));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.counts.statements++;
    return this.inner.rollbackTransaction(this.raw(connection));
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(this.raw(connection));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

class CountingConnection implements DatabaseConnection {
  constructor(
    private readonly inner: DatabaseConnection,
    private readonly counts: StatementCounts,
  ) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.counts.statements++;
    if (COMMIT.test(query.sql)) this.counts.commits++;
    return this.inner.executeQuery<R>(query);
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.counts.statements++;
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}
