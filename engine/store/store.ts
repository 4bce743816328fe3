import { sql, type Migration } from 'kysely';
import { openDatabase, type DatabaseOptions } from './database.ts';
import type { Db, Executor } from './db.ts';
import { DagRepository } from './dag-repository.ts';
import { DagRunRepository } from './dag-run-repository.ts';
import { TaskInstanceRepository } from './task-instance-repository.ts';
import { UpstreamCountRepository } from './upstream-counts.ts';
import { WriteBatcher } from './write-batcher.ts';
import { SchedulerLeaseRepository } from './scheduler-lease-repository.ts';
import { newCounts, type StatementCounts } from './statement-counter.ts';
import { XComRepository, TaskLogRepository, ImportErrorRepository, SchedulerJobRepository } from './small-repositories.ts';

export type { Executor } from './db.ts';

/** What a batched write sees: the store, as a view on the batch's transaction. */
export interface BatchScope {
  store: Store;
}

/** Where a store is: what another thread of this process opens to reach the same one. */
export interface StoreLocation {
  home?: string;
  url?: string;
}

export interface StoreOptions extends Omit<DatabaseOptions, 'migrations'> {
  /**
   * The plugins' migrations, applied with the engine's. The store never loads
   * plugins: its caller does (engine/plugins/open-store.ts opens it with the
   * project's). @defaultValue none
   */
  pluginMigrations?: Readonly<Record<string, Migration>>;
}

/** The run-history store: the source of truth for every process. */
export class Store {
  readonly dags: DagRepository;
  readonly runs: DagRunRepository;
  readonly tasks: TaskInstanceRepository;
  /** Counts of each task instance's direct upstream outcomes (ADR 13). */
  readonly upstream: UpstreamCountRepository;
  readonly xcom: XComRepository;
  readonly logs: TaskLogRepository;
  readonly importErrors: ImportErrorRepository;
  readonly schedulerJobs: SchedulerJobRepository;
  /** The active scheduler of a SQLite store (PostgreSQL runs several at once). */
  readonly schedulerLease: SchedulerLeaseRepository;
  readonly dialect: 'sqlite' | 'postgres';
  private readonly batcher: WriteBatcher<BatchScope>;

  /**
   * @param counts - statements and commits this process sent (debug counter, shared by every view of one store).
   * @param inTransaction - this Store is a view on an open transaction
   *   ({@link atomically}): its writes join that transaction.
   */
  private constructor(
    readonly db: Db,
    private readonly isSqlite: boolean,
    readonly counts: StatementCounts,
    /** This store's deployment id (ADR 11, docs/adr/0011-a-deployment-has-an-identity.md): every job carries it. */
    readonly deploymentId: string,
    /** As it was opened (see {@link StoreLocation}). */
    readonly location: StoreLocation,
    readonly inTransaction = false,
  ) {
    this.dialect = isSqlite ? 'sqlite' : 'postgres';
    this.dags = new DagRepository(db);
    this.runs = new DagRunRepository(db, this.dialect, (fn) => this.write(fn));
    this.tasks = new TaskInstanceRepository(db, this.dialect);
    this.upstream = new UpstreamCountRepository(db, this.dialect);
    this.xcom = new XComRepository(db);
    this.logs = new TaskLogRepository(db);
    this.importErrors = new ImportErrorRepository(db);
    this.schedulerJobs = new SchedulerJobRepository(db);
    this.schedulerLease = new SchedulerLeaseRepository(db);
    this.batcher = new WriteBatcher(
      (fn) => this.write(fn),
      (tx) => ({ store: this.view(tx) }),
    );
  }

  /** This store seen through an open transaction. */
  private view(tx: Executor): Store {
    return new Store(tx as Db, this.isSqlite, this.counts, this.deploymentId, this.location, true);
  }

  /**
   * Opens the store and applies the engine's migrations and `pluginMigrations`
   * (every process opens it with its project's plugins through
   * engine/plugins/open-store.ts: CLI, scheduler, worker, webserver, `dags test`).
   */
  static async open(options: StoreOptions = {}): Promise<Store> {
    const counts = newCounts();
    const { pluginMigrations, ...rest } = options;
    const db = await openDatabase({ ...rest, migrations: pluginMigrations }, counts);
    const url = options.url ?? process.env.UPDRAFT_DATABASE_URL;
    const { id } = await db.selectFrom('deployment').select('id').executeTakeFirstOrThrow();
    return new Store(db, !(url && /^postgres/.test(url)), counts, id, { home: options.home, url });
  }

  /**
   * Runs `fn` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, which
   * takes the write lock up front (waiting on the busy timeout) instead of
   * failing with SQLITE_BUSY when a read transaction tries to upgrade.
   */
  async write<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this.db);
    if (!this.isSqlite) return this.db.transaction().execute(fn);
    return this.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`commit`.execute(conn);
        return result;
      } catch (error) {
        await sql`rollback`.execute(conn);
        throw error;
      }
    });
  }

  /**
   * Runs `fn` on a view of this store inside one transaction: its reads see
   * one snapshot and its writes commit together (a run evaluation pass that
   * moves thousands of tries costs one commit, not thousands). On SQLite the
   * transaction starts deferred, so a pass that only reads never takes the
   * write lock; if another process commits first (a stale snapshot) the pass
   * is run again holding the lock from the start.
   */
  async atomically<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    if (!this.isSqlite) return this.db.transaction().execute((tx) => fn(this.view(tx)));
    for (const begin of ['begin', 'begin immediate']) {
      try {
        return await this.db.connection().execute(async (conn) => {
          await sql.raw(begin).execute(conn);
          try {
            const result = await fn(this.view(conn));
            await sql`commit`.execute(conn);
            return result;
          } catch (error) {
            await sql`rollback`.execute(conn);
            throw error;
          }
        });
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY_SNAPSHOT' || begin === 'begin immediate') throw error;
      }
    }
    throw new Error('unreachable');
  }

  /**
   * A small write that may share its transaction with the other writes this
   * process issues in the same turn of the event loop (see {@link WriteBatcher}).
   */
  batch<T>(fn: (scope: BatchScope) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn({ store: this });
    return this.batcher.run(fn);
  }

  /** True when the database answers a trivial query within `timeoutMs` (a shutdown asks whether it is worth waiting for). */
  async answers(timeoutMs = 1500): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const probe = sql`select 1`.execute(this.db).then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

export const nowIso = (now: Date = new Date()): string => now.toISOString();
