import type { Kysely } from 'kysely';

/** Scheduler liveness (Airflow's `job` table): who runs, its last heartbeat, how long its last loop took. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scheduler_job')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('latest_heartbeat', 'text', (c) => c.notNull())
    .addColumn('last_loop_ms', 'real', (c) => c.notNull())
    .execute();
}
