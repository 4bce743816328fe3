import type { DagStructure } from '../models/dag-spec.ts';
import { retryDelayMs } from '../models/retry-delay.ts';
import { TaskInstanceState } from '../models/states.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';

/** What a try's own code came to, before the retry rules are applied. */
export type TryResult =
  | { kind: 'success'; value?: unknown; skip?: readonly string[] }
  | { kind: 'skipped' }
  /** `retryable: false` for FailWithoutRetryError: no further try whatever the retries left. */
  | { kind: 'failed'; error: string; retryable: boolean };

export type SettledState =
  | typeof TaskInstanceState.SUCCESS
  | typeof TaskInstanceState.SKIPPED
  | typeof TaskInstanceState.FAILED
  | typeof TaskInstanceState.UP_FOR_RETRY;

/** A try's result with the retry rules applied: the state it is recorded in. */
export interface SettledTry {
  state: SettledState;
  error: string | null;
  /** When `state` is up_for_retry: wait this long before the next try. */
  retryDelayMs: number | null;
  /** Tasks this try skips (branch / short-circuit). */
  skip: readonly string[];
  /** The XCom return value (success only; undefined and null push none, as Airflow). */
  value?: unknown;
}

/** How a finish was recorded, and what to hand to the queue after the commit. */
export interface FinishedTry extends SettledTry {
  /** False when another process had already moved this try on (the compare-and-set was lost): nothing was written. */
  recorded: boolean;
  /** Downstream tries this transaction moved to `queued` (the worker-side hand-off): enqueue them after the commit. */
  queued: TaskInstance[];
}

/** Who runs a try: recorded on the row and in `queued_by` of the downstream tries it queues. */
export interface TryOwner {
  hostname: string;
  workerId: string;
}

export interface FinishOptions {
  /** The DAG as the caller knows it: its downstream is evaluated in the same transaction. Null: leave that to the scheduler. */
  structure: DagStructure | null;
  /** `queued_by` of the downstream tries queued here. */
  queuedBy: string;
  /** The try's last log lines, committed with its state. */
  log?: { chunk: number; content: string } | null;
  /** The try's states this finish may move it from (compare-and-set). @defaultValue `['running']` */
  from?: readonly TaskInstanceState[];
}

/**
 * Airflow's `handle_failure`, the one place a failed try becomes
 * `up_for_retry` or `failed`: it retries while tries remain and the error
 * allows it, after a delay from the policy the try was created with.
 */
export function settleTry(ti: TaskInstance, result: TryResult, logicalDate: string): SettledTry {
  if (result.kind === 'success')
    return { state: TaskInstanceState.SUCCESS, error: null, retryDelayMs: null, skip: result.skip ?? [], value: result.value };
  if (result.kind === 'skipped') return { state: TaskInstanceState.SKIPPED, error: null, retryDelayMs: null, skip: [] };
  const retry = result.retryable && ti.tryNumber < ti.maxTries;
  return {
    state: retry ? TaskInstanceState.UP_FOR_RETRY : TaskInstanceState.FAILED,
    error: result.error,
    retryDelayMs: retry ? retryDelayMs(ti.retryPolicy, ti.tryNumber, { dagId: ti.dagId, taskId: ti.taskId, logicalDate }) : null,
    skip: [],
  };
}

/** The XCom a settled try pushes: its return value on success; undefined and null push none, as Airflow. */
export const returnValueOf = (settled: SettledTry): unknown =>
  settled.state === TaskInstanceState.SUCCESS && settled.value !== undefined && settled.value !== null ? settled.value : undefined;
