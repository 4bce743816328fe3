import type { Kysely } from 'kysely';

/**
 * Which process executes a run: null for the scheduler and its workers, or
 * `local <host>:<pid>` for a run `dags test` / `dags backfill` executes itself,
 * which the scheduler never enqueues, retries or times out.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('dag_run').addColumn('executor', 'text').execute();
}
