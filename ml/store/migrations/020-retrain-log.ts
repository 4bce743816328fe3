import { sql, type Kysely } from 'kysely';

/**
 * The retrain log moves into the store. It was `$UPDRAFT_HOME/retrain-log.jsonl`,
 * one file per host, so `updraft retrain-log` on one host missed the retrains
 * other hosts ran (ADR 10, docs/adr/0010-hosts-share-only-redis-store-and-artifacts.md: a host's home holds only caches
 * and its own logs). `id` orders the lines as they were written; JSON columns
 * are text, as elsewhere.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = sql`select ${1}`.compile(db).sql.includes('$1');
  await db.schema
    .createTable('retrain_log')
    // SQLite: an `integer primary key` is the rowid, numbered on insert.
    .addColumn('id', postgres ? 'bigserial' : 'integer', (c) => c.primaryKey())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('success', 'integer', (c) => c.notNull())
    .addColumn('metrics', 'text')
    .addColumn('error', 'text')
    .addColumn('dag_run_id', 'text')
    .addColumn('version', 'integer')
    .addColumn('reason', 'text')
    .addColumn('artifact_uri', 'text')
    .addColumn('merged_triggers', 'text')
    .execute();
  await db.schema.createIndex('retrain_log_model_id').on('retrain_log').columns(['model', 'id']).execute();
}
