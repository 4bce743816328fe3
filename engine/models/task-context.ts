import type { DagRunType } from './states.ts';

/** Lines a task writes to its per-try log (`updraft tasks logs`). */
export interface TaskLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Something whose XCom value has type `T`: a task returned by `dag.task(...)`. */
export interface XComSource<T> {
  readonly taskId: string;
  /** Type-level only: carries the task's return type. */
  readonly __xcom?: T;
}

/** What a task sees while it runs (Airflow's template context). */
export interface TaskContext {
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  /** 1 for the first try. */
  readonly tryNumber: number;
  /** retries + 1 */
  readonly maxTries: number;
  readonly runType: DagRunType;
  readonly logicalDate: Date;
  readonly dataIntervalStart: Date;
  readonly dataIntervalEnd: Date;
  /** DAG params with the run conf laid over them (Airflow's `dag_run_conf_overrides_params`). */
  readonly params: Readonly<Record<string, unknown>>;
  /** The run's conf exactly as given to `dags trigger --conf` / `dags test --conf`. */
  readonly conf: Readonly<Record<string, unknown>>;
  readonly log: TaskLogger;
  /** Aborted when the try times out or the worker shuts down; pass it to fetch, child processes... */
  readonly signal: AbortSignal;
  /** The value `task` returned in this run; throws if it returned nothing (e.g. was skipped). */
  xcom<T>(task: XComSource<T>): T;
  /** The value the task with this id returned in this run, or undefined. */
  xcomPull(taskId: string): unknown;
}
