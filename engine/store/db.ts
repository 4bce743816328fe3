import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.ts';

/** The store's database connection (a pool, or SQLite's one connection). */
export type Db = Kysely<Database>;

/** Where a statement runs: the connection, or an open transaction on it. */
export type Executor = Db | Transaction<Database>;

/** Runs `fn` in one write transaction (the Store's {@link Store.write}), or inside the one already open. */
export type WriteTransaction = <T>(fn: (tx: Executor) => Promise<T>) => Promise<T>;
