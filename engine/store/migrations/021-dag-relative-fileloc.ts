import type { Kysely } from 'kysely';

/**
 * Airflow's `relative_fileloc`: where a DAG's file sits inside the DAG folder
 * that parsed it. Hosts each have their own copy of the DAG folder, not
 * necessarily at the scheduler's path, so a worker finds the file under its
 * own folder (engine/dag-processing/dag-file-location.ts). Null for a row
 * not parsed since, or parsed from outside any folder; the next parse fills it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('dag').addColumn('relative_fileloc', 'text').execute();
}
