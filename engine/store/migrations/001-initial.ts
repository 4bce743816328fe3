import type { Kysely } from 'kysely';

/** Run history: DAGs, runs, task tries, XCom, logs, import errors. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('dag')
    .addColumn('dag_id', 'text', (c) => c.primaryKey())
    .addColumn('fileloc', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('is_paused', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_active', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('last_parsed_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('dag_run')
    .addColumn('dag_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('run_type', 'text', (c) => c.notNull())
    .addColumn('logical_date', 'text', (c) => c.notNull())
    .addColumn('data_interval_start', 'text', (c) => c.notNull())
    .addColumn('data_interval_end', 'text', (c) => c.notNull())
    .addColumn('conf', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .addColumn('start_date', 'text')
    .addColumn('end_date', 'text')
    .addColumn('note', 'text')
    .addPrimaryKeyConstraint('dag_run_pk', ['dag_id', 'run_id'])
    .addUniqueConstraint('dag_run_dag_id_logical_date_key', ['dag_id', 'logical_date'])
    .execute();
  await db.schema.createIndex('dag_run_state_idx').on('dag_run').columns(['state', 'dag_id']).execute();

  await db.schema
    .createTable('task_instance')
    .addColumn('dag_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('try_number', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('operator', 'text', (c) => c.notNull())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('max_tries', 'integer', (c) => c.notNull())
    .addColumn('queued_at', 'text')
    .addColumn('start_date', 'text')
    .addColumn('end_date', 'text')
    .addColumn('duration_ms', 'integer')
    .addColumn('hostname', 'text')
    .addColumn('worker_id', 'text')
    .addColumn('error', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('task_instance_pk', ['dag_id', 'run_id', 'task_id', 'try_number'])
    .execute();
  await db.schema.createIndex('task_instance_state_idx').on('task_instance').columns(['state']).execute();

  await db.schema
    .createTable('xcom')
    .addColumn('dag_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('xcom_pk', ['dag_id', 'run_id', 'task_id', 'key'])
    .execute();

  await db.schema
    .createTable('task_log')
    .addColumn('dag_id', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('try_number', 'integer', (c) => c.notNull())
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('task_log_pk', ['dag_id', 'run_id', 'task_id', 'try_number', 'chunk'])
    .execute();

  await db.schema
    .createTable('import_error')
    .addColumn('filename', 'text', (c) => c.primaryKey())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('timestamp', 'text', (c) => c.notNull())
    .execute();
}
