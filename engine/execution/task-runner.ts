import { hostname } from 'node:os';
import type { Dag } from '../models/dag.ts';
import { FailWithoutRetryError, SkipTaskError, TaskTimeoutError } from '../models/errors.ts';
import { TaskInstanceState } from '../models/states.ts';
import type { TaskContext, XComSource } from '../models/task-context.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance, TaskInstanceKey } from '../store/task-instance-repository.ts';
import type { Clock } from '../utils/clock.ts';
import { chunks } from '../utils/chunks.ts';
import { retryDelayMs, type RetryPolicy } from './retry-delay.ts';
import { TaskLogBuffer } from './task-log-buffer.ts';

export type TryState =
  | typeof TaskInstanceState.SUCCESS
  | typeof TaskInstanceState.SKIPPED
  | typeof TaskInstanceState.FAILED
  | typeof TaskInstanceState.UP_FOR_RETRY
  /** Handed back by a worker shutting down: the same try goes to another worker. */
  | typeof TaskInstanceState.QUEUED;

/** How a try ended, as recorded in the store. */
export interface TryOutcome {
  state: TryState;
  error: string | null;
  /** When `state` is up_for_retry: wait this long before the next try. */
  retryDelayMs: number | null;
  /** Tasks skipped by this try (branch / short-circuit). */
  skipped: string[];
  /** False when another process had already moved this try on (we lost the compare-and-set). */
  recorded: boolean;
}

export interface TaskTryInput {
  store: Store;
  dag: Dag;
  run: DagRun;
  /** The try, already in state `running`. */
  ti: TaskInstance;
  clock: Clock;
  /** Aborts the task (worker shutdown). */
  signal?: AbortSignal;
  /** `tasks test`: run without writing anything; log lines go to `echo`. */
  dryRun?: boolean;
  echo?: (line: string) => void;
}

export const workerIdentity = (): string => `${hostname()}:${process.pid}`;

/**
 * Moves a try to `running` with compare-and-set and returns it. A first try
 * (or a cleared one) comes from `from`; a retry opens the next try row from
 * `up_for_retry`. Undefined means another process owns it: drop the work.
 */
export async function beginTry(store: Store, key: TaskInstanceKey, from: readonly TaskInstanceState[], clock: Clock): Promise<TaskInstance | undefined> {
  const patch = { start_date: clock.now().toISOString(), hostname: hostname(), worker_id: workerIdentity(), end_date: null, error: null };
  return store.batch(async ({ tasks }) => {
    const started = from.length > 0 ? await tasks.transitionReturning(key, from, TaskInstanceState.RUNNING, patch, clock.now()) : undefined;
    if (started) return started;
    if (key.tryNumber > 1 && (await tasks.openNextTry(key, [TaskInstanceState.UP_FOR_RETRY], TaskInstanceState.RUNNING, patch, clock.now()))) {
      return tasks.get(key);
    }
    return undefined;
  });
}

/**
 * The one task runner, used by `dags test`, `tasks test` and workers: builds
 * the context (params, conf, XCom), runs the operator under its execution
 * timeout, captures the log, records the outcome with compare-and-set, then
 * runs the success / failure callback. Never throws for a task's own failure.
 */
export async function runTaskTry(input: TaskTryInput): Promise<TryOutcome> {
  const { store, dag, run, ti, clock } = input;
  const task = dag.getTask(ti.taskId);
  const spec = dag.toSpec();
  const structure = dag.structure();
  const taskSpec = structure.tasks.get(ti.taskId);
  const log = new TaskLogBuffer(input.dryRun ? null : store, ti, input.echo ?? null);
  const started = clock.now();

  // A task reads the values of the tasks upstream of it: only those are loaded.
  const xcoms = input.dryRun || !taskSpec ? new Map<string, unknown>() : await store.xcom.forRun(run.dagId, run.runId, structure.ancestorsOf(ti.taskId));
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(new Error('worker shutting down'));
  input.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const context: TaskContext = {
    dagId: run.dagId,
    runId: run.runId,
    taskId: ti.taskId,
    tryNumber: ti.tryNumber,
    maxTries: ti.maxTries,
    runType: run.runType,
    logicalDate: new Date(run.logicalDate),
    dataIntervalStart: new Date(run.dataIntervalStart),
    dataIntervalEnd: new Date(run.dataIntervalEnd),
    params: Object.freeze({ ...spec.params, ...run.conf }),
    conf: Object.freeze({ ...run.conf }),
    log,
    signal: controller.signal,
    xcom<T>(source: XComSource<T>): T {
      if (!xcoms.has(source.taskId)) throw new Error(`task '${ti.taskId}': no XCom value from upstream task '${source.taskId}' in run ${run.runId}`);
      return xcoms.get(source.taskId) as T;
    },
    xcomPull: (taskId: string): unknown => xcoms.get(taskId),
  };

  let state: TryState;
  let error: Error | null = null;
  let result: unknown;
  let skipped: string[] = [];
  log.info(`Starting try ${ti.tryNumber} of ${ti.maxTries} (${taskSpec?.operator ?? '?'}) on ${workerIdentity()}`);
  try {
    if (!task || !taskSpec) throw new FailWithoutRetryError(`task '${ti.taskId}' is no longer in DAG '${run.dagId}'`);
    result = await withTimeout(() => task.execute(context), taskSpec.executionTimeoutMs, controller);
    skipped = task.tasksToSkip(result, dag);
    state = TaskInstanceState.SUCCESS;
    if (skipped.length > 0) log.info(`Skipping downstream: ${skipped.join(', ')}`);
    log.info('Marking task as SUCCESS');
  } catch (caught) {
    error = caught instanceof Error ? caught : new Error(String(caught));
    if (input.signal?.aborted && !(error instanceof TaskTimeoutError)) {
      state = TaskInstanceState.QUEUED;
      log.warn('Worker shutting down: handing this try back to the queue');
      error = null;
    } else if (error instanceof SkipTaskError) {
      state = TaskInstanceState.SKIPPED;
      log.info(`Marking task as SKIPPED: ${error.message}`);
      error = null;
    } else {
      const retryable = !(error instanceof FailWithoutRetryError) && ti.tryNumber < ti.maxTries;
      state = retryable ? TaskInstanceState.UP_FOR_RETRY : TaskInstanceState.FAILED;
      log.error(`${error.name}: ${error.message}`);
      if (error.stack) log.error(error.stack.split('\n').slice(1, 6).join('\n'));
      log.info(`Marking task as ${state.toUpperCase()}`);
    }
  } finally {
    input.signal?.removeEventListener('abort', onOuterAbort);
  }

  const delay = state === TaskInstanceState.UP_FOR_RETRY && taskSpec
    ? retryDelayMs(taskSpec, ti.tryNumber, { dagId: run.dagId, taskId: ti.taskId, logicalDate: run.logicalDate })
    : null;
  const outcome: TryOutcome = { state, error: error ? `${error.name}: ${error.message}` : null, retryDelayMs: delay, skipped, recorded: true };
  if (state === TaskInstanceState.QUEUED) {
    await log.flush();
    if (!input.dryRun) outcome.recorded = (await handBackTry(store, ti, clock)).recorded;
    return outcome;
  }
  if (!input.dryRun) {
    outcome.recorded = await recordOutcome(store, ti, [TaskInstanceState.RUNNING], outcome, result, started, clock, log.take());
    if (!outcome.recorded) log.warn('This try was already finished elsewhere (lost compare-and-set); result discarded');
  }
  await runCallback(state, task?.options ? dag.effectiveOptions(task) : {}, context, error, log);
  await log.flush();
  return outcome;
}

/**
 * Gives a running try back to the queue (its worker is shutting down): the
 * same try runs again elsewhere and no retry is spent.
 */
export async function handBackTry(store: Store, ti: TaskInstance, clock: Clock): Promise<TryOutcome> {
  const patch = { start_date: null, end_date: null, hostname: null, worker_id: null, queued_at: clock.now().toISOString() };
  const recorded = await store.tasks.transition(ti, [TaskInstanceState.RUNNING], TaskInstanceState.QUEUED, patch, clock.now());
  return { state: TaskInstanceState.QUEUED, error: null, retryDelayMs: null, skipped: [], recorded };
}

/**
 * Fails a try that could not run or whose process vanished (a worker killed
 * mid-task, a DAG file that no longer loads, a task stuck in queued): the
 * same retry rules as a task's own failure, recorded with compare-and-set from
 * `from` (`policy` null: no retry). Failure callbacks do not run: the task's
 * code is not loaded here.
 */
export async function failTry(
  store: Store,
  policy: RetryPolicy | null,
  run: DagRun,
  ti: TaskInstance,
  message: string,
  from: readonly TaskInstanceState[],
  clock: Clock,
): Promise<TryOutcome> {
  const retryable = policy !== null && ti.tryNumber < ti.maxTries;
  const outcome: TryOutcome = {
    state: retryable ? TaskInstanceState.UP_FOR_RETRY : TaskInstanceState.FAILED,
    error: message,
    retryDelayMs: retryable ? retryDelayMs(policy, ti.tryNumber, { dagId: run.dagId, taskId: ti.taskId, logicalDate: run.logicalDate }) : null,
    skipped: [],
    recorded: false,
  };
  const started = ti.startDate ? new Date(ti.startDate) : clock.now();
  outcome.recorded = await recordOutcome(store, ti, from, outcome, undefined, started, clock);
  if (outcome.recorded) {
    const log = new TaskLogBuffer(store, ti);
    log.error(message);
    log.info(`Marking task as ${outcome.state.toUpperCase()}`);
    await log.flush();
  }
  return outcome;
}

async function withTimeout<T>(fn: () => Promise<T> | T, timeoutMs: number | null, controller: AbortController): Promise<T> {
  if (timeoutMs === null) return await fn();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TaskTimeoutError(`execution timed out after ${timeoutMs / 1000}s`);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(fn), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One transaction: the try's state (CAS from `from`), its XCom, and the skips it decided. */
async function recordOutcome(
  store: Store,
  ti: TaskInstance,
  from: readonly TaskInstanceState[],
  outcome: TryOutcome,
  result: unknown,
  started: Date,
  clock: Clock,
  logChunk: { chunk: number; content: string } | null = null,
): Promise<boolean> {
  const now = clock.now();
  return store.batch(async ({ tx }) => {
    if (logChunk) {
      await tx.insertInto('task_log').values({ dag_id: ti.dagId, run_id: ti.runId, task_id: ti.taskId, try_number: ti.tryNumber, ...logChunk, timestamp: now.toISOString() }).execute();
    }
    const moved = await tx
      .updateTable('task_instance')
      .set({ state: outcome.state, end_date: now.toISOString(), duration_ms: now.getTime() - started.getTime(), error: outcome.error, updated_at: now.toISOString() })
      .where('dag_id', '=', ti.dagId).where('run_id', '=', ti.runId).where('task_id', '=', ti.taskId).where('try_number', '=', ti.tryNumber)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    if (moved.numUpdatedRows === 0n) return false;
    // As Airflow, a task that returns nothing (undefined or null) pushes no XCom.
    if (outcome.state === TaskInstanceState.SUCCESS && result !== undefined && result !== null) {
      const row = { value: JSON.stringify(result), timestamp: now.toISOString() };
      await tx.insertInto('xcom').values({ dag_id: ti.dagId, run_id: ti.runId, task_id: ti.taskId, key: 'return_value', ...row })
        .onConflict((oc) => oc.columns(['dag_id', 'run_id', 'task_id', 'key']).doUpdateSet(row)).execute();
    }
    for (const batch of chunks(outcome.skipped)) {
      await tx.updateTable('task_instance')
        .set({ state: TaskInstanceState.SKIPPED, end_date: now.toISOString(), updated_at: now.toISOString() })
        .where('dag_id', '=', ti.dagId).where('run_id', '=', ti.runId).where('task_id', 'in', batch)
        .where('state', '=', TaskInstanceState.NONE)
        .execute();
    }
    return true;
  });
}

async function runCallback(
  state: TryState,
  options: { onSuccessCallback?: (c: TaskContext) => unknown; onFailureCallback?: (c: TaskContext, e: Error) => unknown },
  context: TaskContext,
  error: Error | null,
  log: TaskLogBuffer,
): Promise<void> {
  try {
    if (state === TaskInstanceState.SUCCESS && options.onSuccessCallback) await options.onSuccessCallback(context);
    if (state === TaskInstanceState.FAILED && options.onFailureCallback) await options.onFailureCallback(context, error ?? new Error('failed'));
  } catch (callbackError) {
    log.error(`callback failed: ${(callbackError as Error).message}`);
  }
}
