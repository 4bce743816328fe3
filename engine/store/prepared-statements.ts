import { createHash } from 'node:crypto';
import type { QueryResult, RawBuilder } from 'kysely';
import type { Db } from './db.ts';

/**
 * PostgreSQL: the hot path's statements (a try's start, its finish with the
 * hand-off) are named prepared statements. Each connection parses and plans
 * such a text once; afterwards a call sends only its parameters, and the
 * server runs a cached plan instead of parsing and planning a CTE of several
 * hundred characters per call. Only fixed-shape texts are named (arrays for
 * lists, never an `IN (...)` of varying length), so a connection holds a
 * handful. On SQLite every statement is cached already (database.ts).
 */
const names = new Map<string, string>();

/** The prepared statement's name for `text`, or undefined: not a hot-path statement. */
export const preparedName = (text: string): string | undefined => names.get(text);

/** Runs `query`, on PostgreSQL as a named prepared statement. */
export async function executePrepared<R>(db: Db, query: RawBuilder<R>): Promise<QueryResult<R>> {
  const compiled = query.compile(db);
  if (!names.has(compiled.sql)) names.set(compiled.sql, `updraft_${createHash('sha1').update(compiled.sql).digest('hex').slice(0, 16)}`);
  return db.executeQuery(compiled);
}

/** The parts of a pooled pg client used here. */
export interface QueryableClient {
  query(...args: unknown[]): unknown;
}

/** pg's record of the statements a connection parsed (not in its types). */
type ParsedStatements = { connection?: { parsedStatements?: Record<string, string> } };

const PATCHED = Symbol('updraft.prepared');

/**
 * Patches a pooled pg client once: a registered text runs as `{ name, text, values }`.
 *
 * A plan cached before a migration changed a table's columns fails with
 * "cached plan must not change result type" (a process that kept running
 * across an upgrade): the statement is dropped and parsed again, once.
 */
export function namePreparedStatements<C extends QueryableClient>(client: C): C {
  const patched = client as C & { [PATCHED]?: true };
  if (patched[PATCHED]) return client;
  const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
  client.query = (...args: unknown[]) => {
    const [text, values] = args;
    const name = typeof text === 'string' && args.length === 2 ? preparedName(text) : undefined;
    if (!name) return query(...args);
    const run = () => query({ name, text, values });
    return run().catch(async (error: unknown) => {
      if ((error as { code?: string }).code !== '0A000' || !/cached plan/.test((error as Error).message)) throw error;
      await query(`deallocate ${name}`);
      delete (client as unknown as ParsedStatements).connection?.parsedStatements?.[name];
      return run();
    });
  };
  patched[PATCHED] = true;
  return client;
}
