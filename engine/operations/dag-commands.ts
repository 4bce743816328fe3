import { AlreadyExistsError, InvalidInputError } from '../models/errors.ts';
import { RUN_ID } from '../models/ids.ts';
import { validateConf } from '../models/run-conf.ts';
import { DagRunType } from '../models/states.ts';
import { createTimetable } from '../models/timetable.ts';
import type { SchedulerEvent } from '../queue/interfaces.ts';
import { probeRedis } from '../queue/redis-connection.ts';
import { oneLineReason } from '../logging/redact.ts';
import { TaskQueues } from '../queue/task-queues.ts';
import type { DagRow } from '../store/dag-repository.ts';
import { defaultRunId, type DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';

/**
 * User commands on DAGs, shared by the CLI and the webserver (Airflow's
 * `api/common`): one place validates a trigger and creates the run.
 */

export interface TriggerRequest {
  /** @defaultValue `manual__<logical date>` */
  runId?: string;
  /** Run conf: a JSON object. @defaultValue `{}` */
  conf?: Record<string, unknown>;
  /** @defaultValue now */
  logicalDate?: Date;
}

export const isRunId = (value: string): boolean => RUN_ID.test(value);

export interface BackfillRequest {
  /** First logical date. */
  start: Date;
  /** Last logical date, inclusive. */
  end: Date;
  /** Run conf for every run. @defaultValue `{}` */
  conf?: Record<string, unknown>;
  /** `local <host>:<pid>` for runs this process executes; null hands them to the scheduler. */
  executor: string | null;
}

/**
 * Creates a queued `backfill` run per interval of the DAG's timetable between
 * two logical dates. An interval that already has a run keeps it: `skipped` counts them.
 */
export async function createBackfillRuns(
  store: Store,
  dag: DagRow,
  request: BackfillRequest,
  now: Date,
): Promise<{ runs: DagRun[]; skipped: number }> {
  if (request.end < request.start) throw new InvalidInputError('--end-date is before --start-date');
  if (!dag.spec.schedule || dag.spec.schedule === '@once')
    throw new InvalidInputError(`DAG '${dag.dagId}' has no periodic schedule to backfill`);
  const conf = validateConf(request.conf ?? {}, `run conf for DAG '${dag.dagId}'`);
  const timetable = createTimetable(dag.spec.schedule, `DAG '${dag.dagId}'`);
  const runs: DagRun[] = [];
  let skipped = 0;
  for (let last: { start: Date; end: Date } | null = null; ; ) {
    const info = timetable.nextDagRunInfo(last, { earliest: request.start, latest: request.end, catchup: true }, new Date(8.64e15));
    if (!info) break;
    last = info.dataInterval;
    const runId = defaultRunId(DagRunType.BACKFILL, info.logicalDate);
    const run = await store.runs.create(
      dag.spec,
      {
        runId,
        runType: DagRunType.BACKFILL,
        logicalDate: info.logicalDate,
        dataInterval: info.dataInterval,
        conf,
        executor: request.executor,
      },
      now,
    );
    if (run) runs.push(run);
    else skipped++;
  }
  return { runs, skipped };
}

/**
 * Creates a queued manual run and wakes the scheduler. Throws AlreadyExistsError
 * only for a run id or logical date the request named that a run holds: with
 * neither named, the run takes the first free millisecond from now (Airflow's
 * `manual__<logical date>` id following it), so concurrent triggers all succeed.
 */
export async function triggerDagRun(store: Store, dag: DagRow, request: TriggerRequest, now: Date): Promise<TriggeredRun> {
  if (request.runId !== undefined && !isRunId(request.runId))
    throw new InvalidInputError(`bad run id '${request.runId}' (1-250 letters, digits, _ . ~ : + -)`);
  const conf = validateConf(request.conf ?? {}, `run conf for DAG '${dag.dagId}'`);
  const timetable = createTimetable(dag.spec.schedule, `DAG '${dag.dagId}'`);
  const { runId, logicalDate } = request;
  const run = await store.runs.createTriggered(
    dag.spec,
    { runType: DagRunType.MANUAL, runId, logicalDate, earliest: now, dataIntervalOf: (date) => timetable.manualDataInterval(date), conf },
    now,
  );
  if (!run) {
    const id = runId ?? (logicalDate && defaultRunId(DagRunType.MANUAL, logicalDate));
    const clashes = [id && `id '${id}'`, logicalDate && `logical date ${logicalDate.toISOString()}`].filter(Boolean).join(' or ');
    throw new AlreadyExistsError(`DAG '${dag.dagId}' already has a run with ${clashes}`);
  }
  return { ...run, schedulerNoticeFailed: await notifyScheduler({ type: 'run-queued', dagId: dag.dagId, runId: run.runId }) };
}

/** A triggered run, and why the scheduler could not be woken for it (null: it was); unwoken, it finds the run on its next pass. */
export type TriggeredRun = DagRun & { schedulerNoticeFailed: string | null };

/** Pauses or unpauses a DAG; unpausing wakes the scheduler so due runs start now. */
export async function setDagPaused(store: Store, dagId: string, paused: boolean): Promise<void> {
  await store.dags.setPaused(dagId, paused);
  if (!paused) await notifyScheduler({ type: 'dag-changed', dagId });
}

/**
 * Wakes a running scheduler at once. Returns null, or why it could not (one
 * line, no secret): then the scheduler's timers pick the change up.
 */
export async function notifyScheduler(event: SchedulerEvent): Promise<string | null> {
  const probe = await probeRedis({}, 300);
  if (!probe.ok) return probe.message;
  const queues = new TaskQueues();
  try {
    await queues.notifyScheduler(event);
    return null;
  } catch (error) {
    return oneLineReason(error);
  } finally {
    await queues.close();
  }
}
