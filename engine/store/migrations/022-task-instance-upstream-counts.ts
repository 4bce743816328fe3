import type { Kysely } from 'kysely';

/**
 * Airflow's `_UpstreamTIStates`, stored (ADR 13): per task instance, counts
 * of its direct upstream tasks' outcomes and how many upstream tasks it
 * expects. Keyed by task, not try: a retry or a clear opens a new try row of
 * the same task instance, whose upstream outcomes are the same. A finish adds
 * to its downstream rows instead of re-reading every upstream of a join.
 * Rows of runs created before this migration are written by the scheduler's
 * integrity pass (engine/execution/run-integrity.ts).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema
    .createTable('task_instance_upstream')
    .addColumn('dag_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull());
  for (const count of ['total', 'success', 'skipped', 'failed', 'upstream_failed', 'removed', 'done', 'success_setup', 'skipped_setup']) {
    table = table.addColumn(count, 'integer', (c) => c.notNull().defaultTo(0));
  }
  await table.addPrimaryKeyConstraint('task_instance_upstream_pkey', ['dag_id', 'run_id', 'task_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('task_instance_upstream').execute();
}
