import type { Kysely } from 'kysely';

/**
 * Each try carries its retry policy from the DAG load that created it, so a
 * failure is settled the same way wherever it is noticed (worker, reconciler,
 * isolated child) without loading the DAG file again; and `queued_by` names
 * the process that queued it (the scheduler, or the worker that finished its
 * upstream task).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('task_instance').addColumn('retry_delay_ms', 'integer').execute();
  await db.schema.alterTable('task_instance').addColumn('retry_exponential_backoff', 'integer').execute();
  await db.schema.alterTable('task_instance').addColumn('max_retry_delay_ms', 'integer').execute();
  await db.schema.alterTable('task_instance').addColumn('queued_by', 'text').execute();
}
