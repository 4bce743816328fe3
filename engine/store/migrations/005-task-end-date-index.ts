import type { Kysely } from 'kysely';

/** Lets /metrics read only the tries that finished since its last scrape. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('task_instance_end_date_idx').on('task_instance').column('end_date').execute();
}
