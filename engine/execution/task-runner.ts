import { hostname } from 'node:os';
import type { Dag } from '../models/dag.ts';
import { FailWithoutRetryError, SkipTaskError, TaskTimeoutError } from '../models/errors.ts';
import { TaskInstanceState } from '../models/states.ts';
import type { TaskContext, XComSource } from '../models/task-context.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { settleTry, type FinishedTry, type TryResult } from '../store/try-lifecycle.ts';
import type { Clock } from '../utils/clock.ts';
import { TaskLogBuffer } from './task-log-buffer.ts';

/** A try given back to the queue by a worker shutting down: the same try runs again elsewhere, no retry spent. */
export interface HandedBackTry {
  state: typeof TaskInstanceState.QUEUED;
  /** False when another process had already moved the try on. */
  recorded: boolean;
}

/** How a try ended: recorded as settled (with its downstream hand-off), or handed back. */
export type TryOutcome = FinishedTry | HandedBackTry;

export interface TaskTryInput {
  store: Store;
  dag: Dag;
  run: DagRun;
  /** The try, already in state `running`. */
  ti: TaskInstance;
  clock: Clock;
  /** Aborts the task (worker shutdown). */
  signal?: AbortSignal;
  /** Recorded as `queued_by` on the downstream tries this try queues. @defaultValue `worker <host>:<pid>` */
  queuedBy?: string;
  /** `tasks test`: run without writing anything; log lines go to `echo`. */
  dryRun?: boolean;
  echo?: (line: string) => void;
}

export const workerIdentity = (): string => `${hostname()}:${process.pid}`;

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

  // A task reads the values of the tasks upstream of it: only those are loaded, and none for an operator that reads none.
  const xcoms = input.dryRun || !taskSpec || task?.readsXCom === false
    ? new Map<string, unknown>()
    : await store.xcom.forRun(run.dagId, run.runId, structure.ancestorsOf(ti.taskId));
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

  let result: TryResult;
  let error: Error | null = null;
  log.info(`Starting try ${ti.tryNumber} of ${ti.maxTries} (${taskSpec?.operator ?? '?'}) on ${workerIdentity()}`);
  try {
    if (!task || !taskSpec) throw new FailWithoutRetryError(`task '${ti.taskId}' is no longer in DAG '${run.dagId}'`);
    const value = await withTimeout(() => task.execute(context), taskSpec.executionTimeoutMs, controller);
    const skip = task.tasksToSkip(value, dag);
    if (skip.length > 0) log.info(`Skipping downstream: ${skip.join(', ')}`);
    result = { kind: 'success', value, skip };
  } catch (caught) {
    error = caught instanceof Error ? caught : new Error(String(caught));
    if (input.signal?.aborted && !(error instanceof TaskTimeoutError)) {
      log.warn('Worker shutting down: handing this try back to the queue');
      await log.flush();
      return { state: TaskInstanceState.QUEUED, recorded: !input.dryRun && (await store.tries.handBackTry(ti, clock.now())) };
    }
    if (error instanceof SkipTaskError) {
      log.info(`Marking task as SKIPPED: ${error.message}`);
      result = { kind: 'skipped' };
      error = null;
    } else {
      log.error(`${error.name}: ${error.message}`);
      if (error.stack) log.error(error.stack.split('\n').slice(1, 6).join('\n'));
      result = { kind: 'failed', error: `${error.name}: ${error.message}`, retryable: !(error instanceof FailWithoutRetryError) };
    }
  } finally {
    input.signal?.removeEventListener('abort', onOuterAbort);
  }

  const settled = settleTry(ti, result, run.logicalDate);
  if (settled.state !== TaskInstanceState.SKIPPED) log.info(`Marking task as ${settled.state.toUpperCase()}`);
  let outcome: FinishedTry = { ...settled, recorded: true, queued: [] };
  if (!input.dryRun) {
    outcome = await store.tries.finishTry(ti, run, settled, { structure, queuedBy: input.queuedBy ?? `worker ${workerIdentity()}`, log: log.take() }, clock.now());
    if (!outcome.recorded) log.warn('This try was already finished elsewhere (lost compare-and-set); result discarded');
  }
  await runCallback(settled.state, task?.options ? dag.effectiveOptions(task) : {}, context, error, log);
  await log.flush();
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

async function runCallback(
  state: TaskInstanceState,
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
