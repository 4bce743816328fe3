import { sql, type Transaction } from 'kysely';
import { openDatabase, type Db, type DatabaseOptions } from './database.ts';
import type { Database } from './schema.ts';
import { DagRepository } from './dag-repository.ts';
import { DagRunRepository } from './dag-run-repository.ts';
import { TaskInstanceRepository } from './task-instance-repository.ts';
import { XComRepository, TaskLogRepository, ImportErrorRepository, SchedulerJobRepository } from './small-repositories.ts';

export type Executor = Db | Transaction<Database>;

/** The run-history store: the source of truth for every process. */
export class Store {
  readonly dags: DagRepository;
  readonly runs: DagRunRepository;
  readonly tasks: TaskInstanceRepository;
  readonly xcom: XComRepository;
  readonly logs: TaskLogRepository;
  readonly importErrors: ImportErrorRepository;
  readonly schedulerJobs: SchedulerJobRepository;
  readonly dialect: 'sqlite' | 'postgres';

  private constructor(readonly db: Db, private readonly isSqlite: boolean) {
    this.dialect = isSqlite ? 'sqlite' : 'postgres';
    this.dags = new DagRepository(db);
    this.runs = new DagRunRepository(db, this);
    this.tasks = new TaskInstanceRepository(db);
    this.xcom = new XComRepository(db);
    this.logs = new TaskLogRepository(db);
    this.importErrors = new ImportErrorRepository(db);
    this.schedulerJobs = new SchedulerJobRepository(db);
  }

  static async open(options: DatabaseOptions = {}): Promise<Store> {
    const db = await openDatabase(options);
    const url = options.url ?? process.env.UPDRAFT_DATABASE_URL;
    return new Store(db, !(url && /^postgres/.test(url)));
  }

  /**
   * Runs `fn` in a write transaction. On SQLite it is `BEGIN IMMEDIATE`, which
   * takes the write lock up front (waiting on the busy timeout) instead of
   * failing with SQLITE_BUSY when a read transaction tries to upgrade.
   */
  async write<T>(fn: (tx: Executor) => Promise<T>): Promise<T> {
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

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

export const nowIso = (now: Date = new Date()): string => now.toISOString();
