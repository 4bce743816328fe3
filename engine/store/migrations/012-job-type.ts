import type { Kysely } from 'kysely';

/** Workers beat too (Airflow's job table has a job type): `jobs check --job-type WorkerJob` is a worker's liveness probe. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('scheduler_job')
    .addColumn('job_type', 'text', (c) => c.notNull().defaultTo('SchedulerJob'))
    .execute();
}
