import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { updraftHome } from '../config/updraft-home.ts';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import { LockWaitSqliteDialect } from './sqlite-lock-wait.ts';
import { CountingDialect, newCounts, type StatementCounts } from './statement-counter.ts';
import type { Database } from './schema.ts';
import * as initial from './migrations/001-initial.ts';
import * as runStateIndex from './migrations/002-run-state-index.ts';
import * as modelRegistry from './migrations/003-model-registry.ts';
import * as schedulerJob from './migrations/004-scheduler-job.ts';
import * as taskEndDateIndex from './migrations/005-task-end-date-index.ts';
import * as tryLifecycle from './migrations/006-try-lifecycle.ts';
import * as dagFolderParse from './migrations/007-dag-folder-parse.ts';
import * as deployment from './migrations/008-deployment.ts';
import * as artifacts from './migrations/009-artifacts.ts';
import * as schedulerLease from './migrations/010-scheduler-lease.ts';
import * as runExecutor from './migrations/011-run-executor.ts';
import * as jobType from './migrations/012-job-type.ts';
import * as modelVersionRecord from './migrations/013-model-version-record.ts';
import * as retrainClaims from './migrations/014-retrain-claims.ts';
import * as driftReportIndex from './migrations/015-drift-report-index.ts';
import * as jobQueues from './migrations/016-job-queues.ts';

export type Db = Kysely<Database>;

/** Versioned migrations, applied in name order. Add a file, add it here; never edit a shipped one. */
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
  '002-run-state-index': runStateIndex,
  '003-model-registry': modelRegistry,
  '004-scheduler-job': schedulerJob,
  '005-task-end-date-index': taskEndDateIndex,
  '006-try-lifecycle': tryLifecycle,
  '007-dag-folder-parse': dagFolderParse,
  '008-deployment': deployment,
  '009-artifacts': artifacts,
  '010-scheduler-lease': schedulerLease,
  '011-run-executor': runExecutor,
  '012-job-type': jobType,
  '013-model-version-record': modelVersionRecord,
  '014-retrain-claims': retrainClaims,
  '015-drift-report-index': driftReportIndex,
  '016-job-queues': jobQueues,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export interface DatabaseOptions {
  /** `$UPDRAFT_HOME`, holding `updraft.db` for SQLite. @defaultValue `$UPDRAFT_HOME`, else the project's `.updraft/`, else `~/updraft` (engine/config/updraft-home.ts) */
  home?: string;
  /** `postgres://...` to use PostgreSQL instead of SQLite. @defaultValue `$UPDRAFT_DATABASE_URL` */
  url?: string;
  /** PostgreSQL connections at most (a worker passes its concurrency + 2). @defaultValue 10 */
  poolSize?: number;
}

// Re-exported: callers that open the store find the home here (engine/config/updraft-home.ts decides it).
export { updraftHome } from '../config/updraft-home.ts';

/**
 * Opens the store and brings its schema up to date. SQLite runs in WAL mode
 * and waits for locks (see {@link LockWaitSqliteDialect}) so that a scheduler, many workers and the CLI on one
 * host share the file without "database is locked" failures.
 */
export async function openDatabase(options: DatabaseOptions = {}, counts: StatementCounts = newCounts()): Promise<Db> {
  const url = options.url ?? process.env.UPDRAFT_DATABASE_URL;
  let db: Db;
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      // A server that has gone away must not hang a process (shutdown, CLI) forever on connect.
      connectionTimeoutMillis: 10_000,
      keepAlive: true,
      // Idle connections of a store nobody closes (task code's shared store) must not hold a finished process open.
      allowExitOnIdle: true,
    });
    // An idle connection the server (or the network) dropped: the pool discards it and opens a new
    // one on the next query. Without a listener the 'error' event would crash the process.
    pool.on('error', (error) => process.emitWarning(`PostgreSQL connection lost (${error.message}); reconnecting on the next query`));
    db = new Kysely<Database>({ dialect: new CountingDialect(new PostgresDialect({ pool }), counts) });
  } else {
    const home = updraftHome(options.home);
    mkdirSync(home, { recursive: true });
    // Opening may meet another process's lock: SQLite waits here (once per process).
    const sqlite = new SQLite(join(home, 'updraft.db'), { timeout: 30_000 });
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    // From here on lock waits happen in the driver, without blocking the event loop.
    sqlite.pragma('busy_timeout = 0');
    db = new Kysely<Database>({ dialect: new CountingDialect(new LockWaitSqliteDialect({ database: withStatementCache(sqlite) }), counts) });
  }
  await migrate(db);
  return db;
}

/**
 * Kysely asks better-sqlite3 to prepare every query afresh; compiling the same
 * SQL again costs more than running it. Statements are cached by their text
 * (queries differ only in bound parameters), bounded to the most recent 500.
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (sql: string): SQLite.Statement => {
    let statement = cache.get(sql);
    if (!statement) {
      statement = sqlite.prepare(sql);
      if (cache.size >= 500) cache.delete(cache.keys().next().value!);
      cache.set(sql, statement);
    }
    return statement;
  };
  return new Proxy(sqlite, { get: (target, key, receiver) => (key === 'prepare' ? prepare : Reflect.get(target, key, receiver)) });
}

export async function migrate(db: Db): Promise<void> {
  // Two processes starting at once both try to migrate; the loser sees the
  // winner's lock or tables and simply re-checks.
  for (let attempt = 0; ; attempt++) {
    const { error } = await new Migrator({ db, provider }).migrateToLatest();
    if (!error) return;
    if (attempt >= 5) throw error;
    await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
  }
}
