import type { Kysely } from 'kysely';

/**
 * ML (issue 13): every model version pins one record of how it came to be
 * (`model_version.record`, JSON), and every validation-gate decision is kept,
 * rejections included, with its statistics (`gate_decision`).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('model_version').addColumn('record', 'text').execute();
  await db.schema
    .createTable('gate_decision')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('candidate_run_id', 'text', (c) => c.notNull())
    .addColumn('champion_version', 'integer')
    .addColumn('passed', 'integer', (c) => c.notNull())
    .addColumn('decided_at', 'text', (c) => c.notNull())
    .addColumn('dag_run_id', 'text')
    .addColumn('decision', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('gate_decision_name_idx').on('gate_decision').columns(['name', 'decided_at']).execute();
}
