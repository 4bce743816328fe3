import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { updraftHome } from '../config/updraft-home.ts';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, type Migration, type MigrationProvider } from 'kysely';
import { UpdraftError } from '../models/errors.ts';
import { isCorruptionError, StoreCorruptError } from './errors.ts';
import { LockWaitSqliteDialect } from './sqlite-lock-wait.ts';
import { CountingDialect, newCounts, type StatementCounts } from './statement-counter.ts';
import type { Database } from './schema.ts';
import type { Db } from './db.ts';
import { namePreparedStatements } from './prepared-statements.ts';
import { watchedConnect } from './postgres-connection.ts';
import * as initial from './migrations/001-initial.ts';
import * as runStateIndex from './migrations/002-run-state-index.ts';
import * as schedulerJob from './migrations/004-scheduler-job.ts';
import * as taskEndDateIndex from './migrations/005-task-end-date-index.ts';
import * as tryLifecycle from './migrations/006-try-lifecycle.ts';
import * as dagFolderParse from './migrations/007-dag-folder-parse.ts';
import * as deployment from './migrations/008-deployment.ts';
import * as artifacts from './migrations/009-artifacts.ts';
import * as schedulerLease from './migrations/010-scheduler-lease.ts';
import * as runExecutor from './migrations/011-run-executor.ts';
import * as jobType from './migrations/012-job-type.ts';
import * as jobQueues from './migrations/016-job-queues.ts';
import * as stateFirstIndex from './migrations/018-task-instance-state-first-index.ts';
import * as unfinishedIndex from './migrations/019-task-instance-unfinished-index.ts';
import * as relativeFileloc from './migrations/021-dag-relative-fileloc.ts';
import * as upstreamCounts from './migrations/022-task-instance-upstream-counts.ts';

export type { Db } from './db.ts';

/**
 * The engine's versioned migrations. Plugins add theirs (the ML plugin: 003, 013,
 * 014, 015, 017); {@link migrate} applies the merged list in name order. Add a
 * file, add it here; never edit a shipped one.
 */
const MIGRATIONS: Record<string, Migration> = {
  '001-initial': initial,
  '002-run-state-index': runStateIndex,
  '004-scheduler-job': schedulerJob,
  '005-task-end-date-index': taskEndDateIndex,
  '006-try-lifecycle': tryLifecycle,
  '007-dag-folder-parse': dagFolderParse,
  '008-deployment': deployment,
  '009-artifacts': artifacts,
  '010-scheduler-lease': schedulerLease,
  '011-run-executor': runExecutor,
  '012-job-type': jobType,
  '016-job-queues': jobQueues,
  '018-task-instance-state-first-index': stateFirstIndex,
  '019-task-instance-unfinished-index': unfinishedIndex,
  '021-dag-relative-fileloc': relativeFileloc,
  '022-task-instance-upstream-counts': upstreamCounts,
};

export interface DatabaseOptions {
  /** `$UPDRAFT_HOME`, holding `updraft.db` for SQLite. @defaultValue `$UPDRAFT_HOME`, else the project's `.updraft/`, else `~/updraft` (engine/config/updraft-home.ts) */
  home?: string;
  /** `postgres://...` to use PostgreSQL instead of SQLite. @defaultValue `$UPDRAFT_DATABASE_URL` */
  url?: string;
  /** PostgreSQL connections at most (a worker passes its concurrency + 2). @defaultValue 10 */
  poolSize?: number;
  /** The loaded plugins' migrations, merged with the engine's by name (engine/plugins/load-plugins.ts). @defaultValue none */
  migrations?: Readonly<Record<string, Migration>>;
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
    // One-line connection errors; one log record when PostgreSQL goes away and one when it is back.
    const connect = watchedConnect(pool, url, pool.connect.bind(pool));
    const namedPool = Object.assign(pool, { connect: async () => namePreparedStatements(await connect()) });
    db = new Kysely<Database>({ dialect: new CountingDialect(new PostgresDialect({ pool: namedPool }), counts) });
  } else {
    const home = updraftHome(options.home);
    mkdirSync(home, { recursive: true });
    const file = join(home, 'updraft.db');
    // Opening may meet another process's lock: SQLite waits here (once per process).
    const sqlite = new SQLite(file, { timeout: 30_000 });
    try {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
    } catch (error) {
      sqlite.close();
      throw isCorruptionError(error) ? new StoreCorruptError(file, error) : error;
    }
    // From here on lock waits happen in the driver, without blocking the event loop.
    sqlite.pragma('busy_timeout = 0');
    db = new Kysely<Database>({
      dialect: new CountingDialect(new LockWaitSqliteDialect({ database: withStatementCache(sqlite) }, file), counts),
    });
  }
  await migrate(db, options.migrations);
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

/**
 * Brings the schema up to date: the engine's migrations and the plugins', one
 * list in name order.
 *
 * - A migration this store ran that no loaded plugin provides (a store used
 *   with the ML plugin, opened by a process without it) stays recorded and is
 *   never run again: its tables are simply not used here. (Kysely's Migrator
 *   would refuse such a store as "corrupted".)
 * - A plugin enabled on a store that is ahead of it runs its migrations after
 *   the engine's later ones; plugin migrations depend only on their own earlier
 *   ones and on engine tables, so name order within the plugin is what matters.
 *   Only plugin migrations may run out of order: a new engine migration named
 *   before one the store ran is refused.
 */
export async function migrate(db: Db, plugins: Readonly<Record<string, Migration>> = {}): Promise<void> {
  for (const name of Object.keys(plugins)) {
    if (Object.hasOwn(MIGRATIONS, name)) throw new UpdraftError(`a plugin migration is named '${name}', as one of the engine's`);
  }
  // Two processes starting at once both try to migrate; the loser sees the
  // winner's lock or tables and simply re-checks.
  for (let attempt = 0; ; attempt++) {
    const executed = await executedMigrations(db);
    const last = [...executed].sort().at(-1) ?? '';
    const late = Object.keys(MIGRATIONS).find((name) => name < last && !executed.includes(name));
    if (late)
      throw new UpdraftError(
        `store migration '${late}' sorts before '${last}', which this store already ran: engine migrations must be named in order`,
      );
    const known = { ...MIGRATIONS, ...plugins };
    const recordedOnly = Object.fromEntries(executed.filter((name) => !(name in known)).map((name) => [name, RECORDED_ONLY]));
    const provider: MigrationProvider = { getMigrations: async () => ({ ...recordedOnly, ...known }) };
    const { error } = await new Migrator({ db, provider, allowUnorderedMigrations: true }).migrateToLatest();
    if (!error) return;
    if (attempt >= 5 || error instanceof StoreCorruptError) throw error;
    await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
  }
}

/** Stands for a migration the store ran and no loaded plugin provides: already applied, never run. */
const RECORDED_ONLY: Migration = {
  up: async () => {
    throw new UpdraftError('a migration recorded by the store but provided by no loaded plugin cannot be run');
  },
};

/** The names of the migrations this store ran (none for a new store). */
async function executedMigrations(db: Db): Promise<string[]> {
  try {
    return (await sql<{ name: string }>`select name from kysely_migration`.execute(db)).rows.map((r) => r.name);
  } catch (error) {
    if (error instanceof StoreCorruptError) throw error;
    return []; // no such table yet: a new store (the Migrator creates it)
  }
}
