import type { Kysely } from 'kysely';

/**
 * One row per model: the retrain that owns its cooldown (ml/pipeline/retrain-coalescer.ts).
 * Schedulers and workers on several hosts evaluate triggers at once; taking the row
 * is a compare-and-set, so triggers of one model within the cooldown start one retrain.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('retrain_claim')
    .addColumn('model', 'text', (c) => c.primaryKey())
    .addColumn('dag_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text', (c) => c.notNull())
    .addColumn('cooldown_until', 'text', (c) => c.notNull())
    // JSON array of {kind, detail, time, dag_id, run_id}: the claiming trigger first, then those merged into it.
    .addColumn('triggers', 'text', (c) => c.notNull())
    .execute();
}
