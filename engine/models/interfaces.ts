import type { Duration } from './duration.ts';
import type { Schedule } from './timetable.ts';
import type { TriggerRule } from './trigger-rule.ts';
import type { TaskContext } from './task-context.ts';

/** Where a worker runs a task's tries: in its own event loop, or in a child process per try. */
export type TaskIsolation = 'none' | 'process';

/** Called when a task succeeds. Errors thrown here are logged, never fatal. */
export type SuccessCallback = (context: TaskContext) => void | Promise<void>;
/** Called when a task fails for good (no retry left). Errors thrown here are logged, never fatal. */
export type FailureCallback = (context: TaskContext, error: Error) => void | Promise<void>;

/**
 * Options every task accepts; set them once for a DAG in `defaultArgs` and
 * override per task. Same meaning as Airflow's BaseOperator arguments.
 */
export interface TaskDefaults {
  /** Team or person responsible; shown by `dags list`. @defaultValue `'updraft'` */
  owner?: string;
  /** Tries after the first one before the task fails. @defaultValue `0` */
  retries?: number;
  /** Wait between tries (seconds, or `'5m'`...). @defaultValue `'5m'` */
  retryDelay?: Duration;
  /** Double the delay at every try (with Airflow's deterministic jitter). @defaultValue `false` */
  retryExponentialBackoff?: boolean;
  /** Upper bound on the delay between tries. @defaultValue no bound */
  maxRetryDelay?: Duration;
  /** A try running longer than this fails with TaskTimeoutError (and may retry). @defaultValue no limit */
  executionTimeout?: Duration;
  /**
   * `'process'`: a worker runs each try in a child process of its own, so a task
   * that blocks its event loop (synchronous number crunching) cannot starve the
   * worker's BullMQ lock renewal and heartbeats — BullMQ's sandboxed processors,
   * Airflow's process per task. Costs a process start per try; `dags test` and
   * `tasks test` run in-process regardless.
   * @defaultValue `'none'`
   */
  isolation?: TaskIsolation;
  /** Worker queue the task is routed to (`updraft worker --queues`). @defaultValue `'default'` */
  queue?: string;
  /** When the task runs, given its upstream tasks' states. @defaultValue `'all_success'` */
  triggerRule?: TriggerRule;
  /** @defaultValue none */
  onFailureCallback?: FailureCallback;
  /** @defaultValue none */
  onSuccessCallback?: SuccessCallback;
}

/** Options of one task: the defaults plus its id and documentation. */
export interface TaskOptions extends TaskDefaults {
  /** Unique within the DAG: letters, digits, `_`, `-`, `.`; at most 250 characters. */
  taskId: string;
  /** Free text shown by `dags show`. @defaultValue none */
  doc?: string;
}

/**
 * Options of `dag()`: the DAG's id, its schedule, and the defaults of its
 * tasks. Same meaning as Airflow's `DAG` arguments.
 */
export interface DagOptions {
  /** Unique across the DAG folder: letters, digits, `_`, `-`, `.`; at most 250 characters. */
  dagId: string;
  /** Free text shown by `dags show` and the UI's DAG list. @defaultValue `''` */
  description?: string;
  /** Labels shown by `dags list` and the UI's DAG list. @defaultValue `[]` */
  tags?: string[];
  /** `null` (manual runs only), `'@once'`, `'@hourly'`... `'@yearly'`, a 5-field cron string (UTC), or an interval like `'30m'`. @defaultValue `null` */
  schedule?: Schedule;
  /** First data interval starts here (ISO string or Date, UTC). Required when `schedule` is not null. @defaultValue none */
  startDate?: Date | string;
  /** No run is scheduled for an interval starting after this. @defaultValue none */
  endDate?: Date | string;
  /** Create a run for every missed interval since `startDate` (true) or only the latest (false). @defaultValue `false` */
  catchup?: boolean;
  /** Runs of this DAG in state `running` at once. @defaultValue `16` */
  maxActiveRuns?: number;
  /** A run still going after this is failed and its unfinished tasks skipped. @defaultValue no limit */
  dagrunTimeout?: Duration;
  /** Parameters with their defaults; a run's conf overrides them. @defaultValue `{}` */
  params?: Record<string, unknown>;
  /**
   * Whether the DAG starts paused the first time the store sees it (Airflow's
   * `is_paused_upon_creation`); later parses never change the paused flag.
   * @defaultValue `$UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION`, else `true`
   */
  isPausedUponCreation?: boolean;
  /** Merged into every task's options. @defaultValue `{}` */
  defaultArgs?: TaskDefaults;
}
