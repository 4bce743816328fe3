import type { Kysely } from 'kysely';

/** ML: tracking runs, the model registry (versions, aliases, production history), monitored predictions. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tracking_run')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('experiment', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('artifact_path', 'text')
    .addColumn('data_sha256', 'text')
    .addColumn('feature_names', 'text')
    .addColumn('target', 'text')
    .addColumn('n_train', 'integer')
    .addColumn('n_test', 'integer')
    .addColumn('error', 'text')
    .execute();

  await db.schema
    .createTable('registered_model')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('model_version')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('tracking_run_id', 'text')
    .addColumn('artifact_path', 'text', (c) => c.notNull())
    .addColumn('metrics', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_pk', ['name', 'version'])
    .execute();

  await db.schema
    .createTable('model_alias')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_alias_pk', ['name', 'alias'])
    .execute();

  await db.schema
    .createTable('production_history')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('ended_at', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('production_history_pk', ['name', 'seq'])
    .execute();

  await db.schema
    .createTable('prediction')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('model_version', 'integer', (c) => c.notNull())
    .addColumn('prediction', 'text', (c) => c.notNull())
    .addColumn('score', 'double precision')
    .addColumn('actual', 'text')
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addColumn('labelled_at', 'text')
    .execute();
  await db.schema.createIndex('prediction_model_time_idx').on('prediction').columns(['model', 'timestamp']).execute();
}
