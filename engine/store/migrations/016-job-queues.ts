import type { Kysely } from 'kysely';

/** The queues a worker listens on, beside its heartbeat (the health page lists them, busy or idle). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('scheduler_job').addColumn('queues', 'text').execute();
}
