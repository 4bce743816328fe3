import type { Kysely } from 'kysely';

/** Lets "does this run have an unfinished task?" read only the unfinished rows. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('task_instance_run_state_idx').on('task_instance').columns(['dag_id', 'run_id', 'state']).execute();
}
