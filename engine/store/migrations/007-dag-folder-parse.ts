import type { Kysely } from 'kysely';

/**
 * When each DAG folder was last parsed, by whom, and what came of it: readers
 * (`dags list`) show it instead of importing DAG files themselves, and parse
 * on demand only for a folder the store has never seen parsed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('dag_folder_parse')
    .addColumn('folder', 'text', (c) => c.primaryKey())
    .addColumn('parsed_at', 'text', (c) => c.notNull())
    .addColumn('parsed_by', 'text', (c) => c.notNull())
    .addColumn('hostname', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'real', (c) => c.notNull())
    .addColumn('dag_count', 'integer', (c) => c.notNull())
    .addColumn('import_error_count', 'integer', (c) => c.notNull())
    .execute();
}
