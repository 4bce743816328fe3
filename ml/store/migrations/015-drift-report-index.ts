import type { Kysely } from 'kysely';

/**
 * Where each model's drift reports are (the reports themselves are artifacts):
 * the webserver lists them from here (readers read the store, ADR 12, docs/adr/0012-readers-read-the-store.md).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('drift_report')
    .addColumn('artifact_uri', 'text', (c) => c.primaryKey())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('dag_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('drift', 'integer', (c) => c.notNull())
    .addColumn('columns', 'integer', (c) => c.notNull())
    .addColumn('drifted_columns', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('drift_report_model_created').on('drift_report').columns(['model', 'created_at']).execute();
}
