import { hostname } from 'node:os';
import type { Dag } from '../models/dag.ts';
import { FailWithoutRetryError, SkipTaskError, TaskTimeoutError, TryTerminatedError, UpdraftError } from '../models/errors.ts';
import { TaskInstanceState } from '../models/states.ts';
import type { TaskContext, XComSource } from '../models/task-context.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance, TaskInstanceKey } from '../store/task-instance-repository.ts';
import type { Clock } from '../utils/clock.ts';
import { DEFAULT_TASK_LOG_MAX_BYTES, taskLogMaxBytes } from '../config/task-log-limits.ts';
import { TaskLogBuffer } from './task-log-buffer.ts';
import { tryLifecycleOf } from './try-lifecycle.ts';
import { settleTry, type FinishedTry, type TryResult } from './try-outcome.ts';
import { boundXComValue, resolveXComValues, UnreadableXCom, xcomArtifactStore } from './xcom-artifacts.ts';

/** A try given back to the queue by a worker shutting down: the same try runs again elsewhere, no retry spent. */
export interface HandedBackTry {
  state: typeof TaskInstanceState.QUEUED;
  /** False when another process had already moved the try on. */
  recorded: boolean;
}

/**
 * A try stopped because its task instance was changed from outside (marked,
 * its run marked or deleted): nothing of its own outcome was recorded.
 */
export interface TerminatedTry {
  state: 'terminated';
  recorded: false;
  /** The line written to its log: what it was set to from outside. */
  reason: string;
}

/** How a try ended: recorded as settled (with its downstream hand-off), handed back, or terminated from outside. */
export type TryOutcome = FinishedTry | HandedBackTry | TerminatedTry;

/**
 * After a termination the task gets this long to stop (a bash task's process
 * group gets SIGTERM, then SIGKILL 2 s later) before the try is given up on;
 * in-process code that ignores its signal keeps running, its result discarded.
 */
const TERMINATION_GRACE_MS = 5_000;

export interface TaskTryInput {
  store: Store;
  dag: Dag;
  run: DagRun;
  /** The try, already in state `running`. */
  ti: TaskInstance;
  clock: Clock;
  /** Aborts the task (worker shutdown). */
  signal?: AbortSignal;
  /**
   * Aborts (reason: a TryTerminatedError) when the try's task instance was
   * changed from outside (see TryTerminator): the task's `ctx.signal` aborts,
   * the reason goes to its log, and its outcome is never recorded.
   */
  terminate?: AbortSignal;
  /** Recorded as `queued_by` on the downstream tries this try queues. @defaultValue `worker <host>:<pid>` */
  queuedBy?: string;
  /** `tasks test`: run without writing anything; log lines go to `echo`. */
  dryRun?: boolean;
  echo?: (line: string) => void;
}

let identity: string | null = null;
/** `host:pid`, read once: os.hostname() is a system call, and every try's log names it. */
export const workerIdentity = (): string => (identity ??= `${hostname()}:${process.pid}`);

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
  const logCap = readLogCap();
  const log = new TaskLogBuffer(input.dryRun ? null : store, ti, input.echo ?? null, undefined, logCap.bytes);

  // A task reads the values of the tasks upstream of it: only those are loaded, and none for an operator that reads none.
  // An offloaded value is read from the artifact store here: the task reads it synchronously.
  const xcoms =
    input.dryRun || !taskSpec || task?.readsXCom === false
      ? new Map<string, unknown>()
      : await resolveXComValues(store, await store.xcom.forRun(run.dagId, run.runId, structure.ancestorsOf(ti.taskId)));
  const pulled = (taskId: string): unknown => {
    const value = xcoms.get(taskId);
    if (value instanceof UnreadableXCom) throw value.error;
    return value;
  };
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort(new Error('worker shutting down'));
  input.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let terminated: TryTerminatedError | null = null;
  let executed = false;
  const onTerminate = (): void => {
    if (executed || terminated) return;
    const reason: unknown = input.terminate?.reason;
    terminated = reason instanceof TryTerminatedError ? reason : new TryTerminatedError(null);
    log.warn(terminated.message);
    controller.abort(terminated);
  };
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
    log: log.forTask,
    signal: controller.signal,
    xcom<T>(source: XComSource<T>): T {
      if (!xcoms.has(source.taskId))
        throw new Error(`task '${ti.taskId}': no XCom value from upstream task '${source.taskId}' in run ${run.runId}`);
      return pulled(source.taskId) as T;
    },
    xcomPull: pulled,
  };

  let result: TryResult;
  let error: Error | null = null;
  /** The artifact a large return value went to: removed again if this try's finish is not recorded. */
  let offloaded: string | null = null;
  log.info(`Starting try ${ti.tryNumber} of ${ti.maxTries} (${taskSpec?.operator ?? '?'}) on ${workerIdentity()}`);
  if (input.terminate?.aborted) onTerminate();
  else input.terminate?.addEventListener('abort', onTerminate, { once: true });
  try {
    if (!task || !taskSpec) throw new FailWithoutRetryError(`task '${ti.taskId}' is no longer in DAG '${run.dagId}'`);
    if (terminated) throw terminated;
    if (logCap.error) throw new FailWithoutRetryError(logCap.error);
    const value = await untilTerminated(
      withTimeout(() => task.execute(context), taskSpec.executionTimeoutMs, controller),
      input.terminate,
    );
    executed = true;
    if (terminated) throw terminated;
    const skip = task.tasksToSkip(value, dag);
    // Before the finish, so the finish records a small reference (one statement on PostgreSQL, as for any value).
    const bounded = await boundXComValue(store, ti, value, !input.dryRun);
    offloaded = bounded.offloaded?.uri ?? null;
    if (bounded.offloaded) log.info(`XCom of ${bounded.offloaded.size} bytes stored in the artifact store: ${bounded.offloaded.uri}`);
    if (skip.length > 0) log.info(`Skipping downstream: ${skip.join(', ')}`);
    result = { kind: 'success', value: bounded.value, skip };
  } catch (caught) {
    executed = true;
    error = caught instanceof Error ? caught : new Error(String(caught));
    if (terminated) return endTerminated(terminated, log, input.dryRun ? null : store, ti);
    if (input.signal?.aborted && !(error instanceof TaskTimeoutError)) {
      log.warn('Worker shutting down: handing this try back to the queue');
      await log.flush();
      return { state: TaskInstanceState.QUEUED, recorded: !input.dryRun && (await tryLifecycleOf(store).handBackTry(ti, clock.now())) };
    }
    if (error instanceof SkipTaskError) {
      log.info(`Marking task as SKIPPED: ${error.message}`);
      result = { kind: 'skipped' };
      error = null;
    } else {
      log.error(`${error.name}: ${error.message}`);
      // Updraft's own errors say what is wrong in their message; a stack is for the task's own code.
      if (error.stack && !(error instanceof UpdraftError)) log.error(error.stack.split('\n').slice(1, 6).join('\n'));
      result = { kind: 'failed', error: `${error.name}: ${error.message}`, retryable: !(error instanceof FailWithoutRetryError) };
    }
  } finally {
    log.noteDropped();
    input.signal?.removeEventListener('abort', onOuterAbort);
    input.terminate?.removeEventListener('abort', onTerminate);
  }

  const settled = settleTry(ti, result, run.logicalDate);
  if (settled.state !== TaskInstanceState.SKIPPED) log.info(`Marking task as ${settled.state.toUpperCase()}`);
  let outcome: FinishedTry = { ...settled, recorded: true, queued: [] };
  if (!input.dryRun) {
    outcome = await tryLifecycleOf(store).finishTry(
      ti,
      run,
      settled,
      { structure, queuedBy: input.queuedBy ?? `worker ${workerIdentity()}`, log: log.take() },
      clock.now(),
    );
    if (!outcome.recorded) log.warn('This try was already finished elsewhere (lost compare-and-set); result discarded');
    if (!outcome.recorded && offloaded) await discardOffloaded(store, offloaded, log);
  }
  await runCallback(settled.state, task?.options ? dag.effectiveOptions(task) : {}, context, error, log);
  await log.flush();
  return outcome;
}

/** A lost finish's offloaded value is nobody's: the winner's reference names another artifact. */
async function discardOffloaded(store: Store, uri: string, log: TaskLogBuffer): Promise<void> {
  try {
    await xcomArtifactStore(store).delete(uri);
  } catch (error) {
    log.warn(`could not remove the discarded XCom ${uri}: ${(error as Error).message}`);
  }
}

/** The per-try log cap; a bad setting fails the try in one line instead of stopping the worker. */
function readLogCap(): { bytes: number; error: string | null } {
  try {
    return { bytes: taskLogMaxBytes(), error: null };
  } catch (error) {
    return { bytes: DEFAULT_TASK_LOG_MAX_BYTES, error: (error as Error).message };
  }
}

/**
 * Once `terminate` aborts, the task gets {@link TERMINATION_GRACE_MS} to
 * settle (its ctx.signal has aborted), then the try is given up on.
 */
function untilTerminated<T>(task: Promise<T>, terminate: AbortSignal | undefined): Promise<T> {
  if (!terminate) return task;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const givenUp = new Promise<never>((_, reject) => {
    onAbort = (): void => {
      timer = setTimeout(() => reject(terminate.reason), TERMINATION_GRACE_MS);
    };
    terminate.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([task, givenUp]).finally(() => {
    clearTimeout(timer);
    terminate.removeEventListener('abort', onAbort!);
  });
}

/** A terminated try records nothing of its own: its log keeps what it wrote and why it stopped (unless its run is gone). */
async function endTerminated(
  terminated: TryTerminatedError,
  log: TaskLogBuffer,
  store: Store | null,
  key: TaskInstanceKey,
): Promise<TerminatedTry> {
  if (terminated.newState === null) {
    log.take();
    await log.flush();
    await store?.logs.deleteIfOrphaned(key);
  } else {
    await log.flush();
  }
  return { state: 'terminated', recorded: false, reason: terminated.message };
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
    if (state === TaskInstanceState.FAILED && options.onFailureCallback)
      await options.onFailureCallback(context, error ?? new Error('failed'));
  } catch (callbackError) {
    log.error(`callback failed: ${(callbackError as Error).message}`);
  }
}
