import type { Db } from './database.ts';
import type { TaskInstanceKey } from './task-instance-repository.ts';
import { chunks } from '../utils/chunks.ts';

/** Task return values, one per task per run (the latest try's), as JSON. */
export class XComRepository {
  constructor(private readonly db: Db) {}

  /** Return values of many tasks in one statement (each replaces the task's previous one). */
  async setMany(values: ReadonlyArray<{ dagId: string; runId: string; taskId: string; value: unknown }>, now: Date): Promise<void> {
    for (const batch of chunks(values, 200)) {
      await this.db
        .insertInto('xcom')
        .values(
          batch.map((v) => ({
            dag_id: v.dagId,
            run_id: v.runId,
            task_id: v.taskId,
            key: 'return_value',
            value: JSON.stringify(v.value ?? null),
            timestamp: now.toISOString(),
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['dag_id', 'run_id', 'task_id', 'key'])
            .doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), timestamp: eb.ref('excluded.timestamp') })),
        )
        .execute();
    }
  }

  /** Return values in a run, by task id: of `taskIds` only when given. */
  async forRun(dagId: string, runId: string, taskIds?: readonly string[]): Promise<Map<string, unknown>> {
    const values = new Map<string, unknown>();
    const query = this.db
      .selectFrom('xcom')
      .select(['task_id', 'value'])
      .where('dag_id', '=', dagId)
      .where('run_id', '=', runId)
      .where('key', '=', 'return_value');
    const batches = taskIds === undefined ? [null] : chunks(taskIds);
    for (const batch of batches) {
      const rows = await (batch ? query.where('task_id', 'in', batch) : query).execute();
      for (const r of rows) values.set(r.task_id, JSON.parse(r.value) as unknown);
    }
    return values;
  }

  /** One task's XComs in a run (key, JSON value as stored, timestamp), by key. */
  async entriesOf(dagId: string, runId: string, taskId: string): Promise<Array<{ key: string; value: unknown; timestamp: string }>> {
    const rows = await this.db
      .selectFrom('xcom')
      .select(['key', 'value', 'timestamp'])
      .where('dag_id', '=', dagId)
      .where('run_id', '=', runId)
      .where('task_id', '=', taskId)
      .orderBy('key')
      .execute();
    return rows.map((r) => ({ key: r.key, value: JSON.parse(r.value) as unknown, timestamp: r.timestamp }));
  }

  /** Removes the XComs of some tasks of a run (cleared tasks: their next try starts without one, as Airflow's). */
  async deleteFor(dagId: string, runId: string, taskIds: readonly string[]): Promise<void> {
    for (const batch of chunks(taskIds)) {
      await this.db.deleteFrom('xcom').where('dag_id', '=', dagId).where('run_id', '=', runId).where('task_id', 'in', batch).execute();
    }
  }
}

/** Task log text per try, written in chunks while the try runs. */
export class TaskLogRepository {
  constructor(private readonly db: Db) {}

  /** Many chunks in one statement (the last lines of many tries finishing together). */
  async appendMany(chunksOf: ReadonlyArray<{ key: TaskInstanceKey; chunk: number; content: string }>, now: Date): Promise<void> {
    for (const batch of chunks(chunksOf, 200)) {
      await this.db
        .insertInto('task_log')
        .values(
          batch.map(({ key, chunk, content }) => ({
            dag_id: key.dagId,
            run_id: key.runId,
            task_id: key.taskId,
            try_number: key.tryNumber,
            chunk,
            content,
            timestamp: now.toISOString(),
          })),
        )
        .onConflict((oc) => oc.doNothing())
        .execute();
    }
  }

  async append(key: TaskInstanceKey, chunk: number, content: string, now: Date): Promise<void> {
    await this.db
      .insertInto('task_log')
      .values({
        dag_id: key.dagId,
        run_id: key.runId,
        task_id: key.taskId,
        try_number: key.tryNumber,
        chunk,
        content,
        timestamp: now.toISOString(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }

  /** Appends after the try's last chunk (for a process that did not write the earlier ones, e.g. failing a lost try). */
  async appendAfterLast(key: TaskInstanceKey, content: string, now: Date): Promise<void> {
    const last = await this.db
      .selectFrom('task_log')
      .select((eb) => eb.fn.max('chunk').as('chunk'))
      .where('dag_id', '=', key.dagId)
      .where('run_id', '=', key.runId)
      .where('task_id', '=', key.taskId)
      .where('try_number', '=', key.tryNumber)
      .executeTakeFirst();
    await this.append(key, last?.chunk === null || last?.chunk === undefined ? 0 : Number(last.chunk) + 1, content, now);
  }

  /** Removes a try's log chunks if the try itself is gone (a deleted run whose try kept writing until it was terminated). */
  async deleteIfOrphaned(key: TaskInstanceKey): Promise<void> {
    await this.db
      .deleteFrom('task_log')
      .where('dag_id', '=', key.dagId)
      .where('run_id', '=', key.runId)
      .where('task_id', '=', key.taskId)
      .where('try_number', '=', key.tryNumber)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('task_instance as ti')
              .select('ti.state')
              .where('ti.dag_id', '=', key.dagId)
              .where('ti.run_id', '=', key.runId)
              .where('ti.task_id', '=', key.taskId)
              .where('ti.try_number', '=', key.tryNumber),
          ),
        ),
      )
      .execute();
  }

  async read(key: TaskInstanceKey): Promise<string> {
    const rows = await this.db
      .selectFrom('task_log')
      .select('content')
      .where('dag_id', '=', key.dagId)
      .where('run_id', '=', key.runId)
      .where('task_id', '=', key.taskId)
      .where('try_number', '=', key.tryNumber)
      .orderBy('chunk')
      .execute();
    return rows.map((r) => r.content).join('');
  }
}

/** DAG files that failed to load, with the reason (Airflow's import errors). */
export class ImportErrorRepository {
  constructor(private readonly db: Db) {}

  /** Replaces all import errors with the current parse's. */
  async replaceAll(errors: ReadonlyArray<{ filename: string; message: string }>, now: Date): Promise<void> {
    await this.db.deleteFrom('import_error').execute();
    if (errors.length > 0) {
      await this.db
        .insertInto('import_error')
        .values(errors.map((e) => ({ ...e, timestamp: now.toISOString() })))
        .execute();
    }
  }

  /** Replaces the import errors of `filenames` only (a parse of some files of the folder). */
  async replaceFor(filenames: readonly string[], errors: ReadonlyArray<{ filename: string; message: string }>, now: Date): Promise<void> {
    if (filenames.length > 0) await this.db.deleteFrom('import_error').where('filename', 'in', filenames).execute();
    if (errors.length > 0) {
      await this.db
        .insertInto('import_error')
        .values(errors.map((e) => ({ ...e, timestamp: now.toISOString() })))
        .execute();
    }
  }

  async list(): Promise<Array<{ filename: string; message: string; timestamp: string }>> {
    return this.db.selectFrom('import_error').selectAll().orderBy('filename').execute();
  }
}

/** What beats: a scheduler, or a worker (Airflow's job types). */
export type JobType = 'SchedulerJob' | 'WorkerJob';
export const JOB_TYPES: readonly JobType[] = ['SchedulerJob', 'WorkerJob'];

export interface SchedulerJob {
  id: string;
  /** @defaultValue `'SchedulerJob'` */
  jobType?: JobType;
  hostname: string;
  startedAt: string;
  latestHeartbeat: string;
  lastLoopMs: number;
  /** The queues a worker takes tries from. @defaultValue none (a scheduler) */
  queues?: readonly string[];
}

/** A scheduler whose heartbeat is older than this is not alive (Airflow's default health threshold). */
export const SCHEDULER_HEALTH_THRESHOLD_MS = 30_000;

export const isAlive = (job: SchedulerJob, now: Date = new Date()): boolean =>
  now.getTime() - new Date(job.latestHeartbeat).getTime() <= SCHEDULER_HEALTH_THRESHOLD_MS;

/** Scheduler and worker heartbeats: the webserver's health check, the loop-time metric and `jobs check` read them. */
export class SchedulerJobRepository {
  constructor(private readonly db: Db) {}

  async heartbeat(job: SchedulerJob): Promise<void> {
    const row = {
      id: job.id,
      job_type: job.jobType ?? 'SchedulerJob',
      hostname: job.hostname,
      started_at: job.startedAt,
      latest_heartbeat: job.latestHeartbeat,
      last_loop_ms: job.lastLoopMs,
      queues: job.queues?.join(',') ?? null,
    };
    await this.db
      .insertInto('scheduler_job')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet({ latest_heartbeat: row.latest_heartbeat, last_loop_ms: row.last_loop_ms }))
      .execute();
  }

  /** Forgets schedulers that have not beaten since `before` (each start adds a row). */
  async prune(before: Date): Promise<void> {
    await this.db.deleteFrom('scheduler_job').where('latest_heartbeat', '<', before.toISOString()).execute();
  }

  /** The job of `jobType` (on `hostname`, when given) that beat last, if any ever did. */
  async latest(jobType: JobType = 'SchedulerJob', hostname?: string): Promise<SchedulerJob | undefined> {
    let query = this.db.selectFrom('scheduler_job').selectAll().where('job_type', '=', jobType);
    if (hostname !== undefined) query = query.where('hostname', '=', hostname);
    const row = await query.orderBy('latest_heartbeat', 'desc').limit(1).executeTakeFirst();
    return (
      row && {
        id: row.id,
        jobType: row.job_type as JobType,
        hostname: row.hostname,
        startedAt: row.started_at,
        latestHeartbeat: row.latest_heartbeat,
        lastLoopMs: row.last_loop_ms,
      }
    );
  }
}
