import type { Kysely } from 'kysely';
import type { DagRepository } from '../store/dag-repository.ts';
import type { Database } from '../store/schema.ts';

/**
 * What a plugin sees of the store: the connection typed with the tables it
 * uses (its own, from its migrations, plus any engine table it reads), the two
 * kinds of transaction, and where a DAG's file is. The engine's `Store`
 * satisfies it as it is, so the engine hands a plugin the store it has; the
 * plugin never sees the engine's repositories or its try lifecycle.
 *
 * @typeParam Tables - the engine's tables and the plugin's, `EngineDatabase & MyTables`: with the
 *   engine's in the type, the engine's own connection is one as it is.
 */
export interface PluginStore<Tables = Database> {
  /** The connection (a pool, or SQLite's one connection); inside {@link atomically}, the open transaction. */
  readonly db: Kysely<Tables>;
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in one write transaction (on SQLite `BEGIN IMMEDIATE`: the write lock up front). */
  write<T>(fn: (tx: Kysely<Tables>) => Promise<T>): Promise<T>;
  /** Runs `fn` on a view of the store inside one transaction: one snapshot, one commit. */
  atomically<T>(fn: (store: PluginStore<Tables>) => Promise<T>): Promise<T>;
  /** Where a DAG's file is, as the DAG processor last recorded it. */
  readonly dags: Pick<DagRepository, 'location'>;
}
