/**
 * Task-instance and DAG-run states, with Apache Airflow's exact names.
 * Values are the strings stored in the database and printed by the CLI.
 */
export const TaskInstanceState = {
  /** Created with its run; not yet evaluated by the scheduler. */
  NONE: 'none',
  /** Dependencies met; about to be handed to an executor. */
  SCHEDULED: 'scheduled',
  /** Handed to the queue; waiting for a worker. */
  QUEUED: 'queued',
  RUNNING: 'running',
  SUCCESS: 'success',
  FAILED: 'failed',
  /** This try failed and another will follow after the retry delay. */
  UP_FOR_RETRY: 'up_for_retry',
  SKIPPED: 'skipped',
  UPSTREAM_FAILED: 'upstream_failed',
  /** The task no longer exists in the DAG file. */
  REMOVED: 'removed',
} as const;
/** One of {@link TaskInstanceState}'s values, e.g. `'success'`. */
export type TaskInstanceState = (typeof TaskInstanceState)[keyof typeof TaskInstanceState];

/** A DAG run's state, with Airflow's names (`DagRunState`). */
export const DagRunState = {
  /** Created; waits for a slot under the DAG's `maxActiveRuns`. */
  QUEUED: 'queued',
  /** Its tasks are being scheduled and run. */
  RUNNING: 'running',
  /** Every task finished and no leaf task failed or was upstream_failed. */
  SUCCESS: 'success',
  /** A leaf task failed or was upstream_failed, or the run was ended early (its `dagrunTimeout`, or marked failed by a user). */
  FAILED: 'failed',
} as const;
/** One of {@link DagRunState}'s values, e.g. `'running'`. */
export type DagRunState = (typeof DagRunState)[keyof typeof DagRunState];

/** Why a DAG run exists, with Airflow's names (`DagRunType`); a default run id starts with it (`manual__<logical date>`). */
export const DagRunType = {
  /** Triggered by a user: `updraft dags trigger`, the UI or the REST API. */
  MANUAL: 'manual',
  /** Created by the scheduler for a data interval of the DAG's schedule. */
  SCHEDULED: 'scheduled',
  /** Created by `updraft dags backfill` for a past interval. */
  BACKFILL: 'backfill',
} as const;
/** One of {@link DagRunType}'s values, e.g. `'manual'`. */
export type DagRunType = (typeof DagRunType)[keyof typeof DagRunType];

/** States from which a task try will not move on by itself. */
export const FINISHED_TASK_STATES: ReadonlySet<TaskInstanceState> = new Set([
  TaskInstanceState.SUCCESS,
  TaskInstanceState.FAILED,
  TaskInstanceState.SKIPPED,
  TaskInstanceState.UPSTREAM_FAILED,
  TaskInstanceState.REMOVED,
]);

/** States a task is in while some process owns it (scheduler, queue or worker). */
export const UNFINISHED_TASK_STATES: ReadonlySet<TaskInstanceState> = new Set([
  TaskInstanceState.SCHEDULED,
  TaskInstanceState.QUEUED,
  TaskInstanceState.RUNNING,
  TaskInstanceState.UP_FOR_RETRY,
]);

/** Every state a try can still move on from: not yet decided (`none`) or owned by some process. */
export const NOT_FINISHED_TASK_STATES: readonly TaskInstanceState[] = [TaskInstanceState.NONE, ...UNFINISHED_TASK_STATES];

export const FINISHED_DAG_RUN_STATES: ReadonlySet<DagRunState> = new Set([DagRunState.SUCCESS, DagRunState.FAILED]);

export const isDagRunState = (value: string): value is DagRunState => (Object.values(DagRunState) as string[]).includes(value);
