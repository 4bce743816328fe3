import { hostname } from 'node:os';
import type { Dag } from '../models/dag.ts';
import { DagRunState, TaskInstanceState } from '../models/states.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { sleep, type Clock } from '../utils/clock.ts';
import { advanceDagRun } from './dag-run-evaluator.ts';
import { runTaskTry, workerIdentity, type TryOutcome } from './task-runner.ts';
import { tryLifecycleOf } from './try-lifecycle.ts';
import { TryTerminator } from './try-terminator.ts';

/** The `executor` of a run this process executes itself: the scheduler leaves such a run alone. */
export const localExecutorId = (): string => `local ${workerIdentity()}`;

/** The pid of a `local <host>:<pid>` executor on `host`, or null when it names another host or no process. */
export function localExecutorPid(executor: string, host: string): number | null {
  const match = /^local (.+):(\d+)$/.exec(executor);
  return match && match[1] === host ? Number(match[2]) : null;
}

export interface LocalRunOptions {
  /** Multiplies every retry delay (e.g. 0 to retry at once while developing). @defaultValue `1` */
  retryDelayScale?: number;
  /** Called after each try. */
  onTry?: (taskId: string, tryNumber: number, outcome: TryOutcome) => void;
  echo?: (line: string) => void;
}

/**
 * Runs one DAG run to the end in this process, with no queue: the executor
 * behind `dags test`. Uses the same evaluator, try lifecycle and task runner
 * as the scheduler and workers — including the hand-off: a finished try
 * queues its downstream, which runs next; tasks run one at a time.
 */
export async function runDagRunLocally(
  store: Store,
  dag: Dag,
  run: DagRun,
  clock: Clock,
  options: LocalRunOptions = {},
): Promise<DagRunState> {
  if (run.state === DagRunState.QUEUED)
    await store.runs.transition(run.dagId, run.runId, [DagRunState.QUEUED], DagRunState.RUNNING, clock.now());
  // A try marked from outside (`tasks set-state`, the REST API) stops here as on a worker.
  const terminator = new TryTerminator(store, { now: () => clock.now() });
  terminator.start();
  try {
    return await runLoop(store, dag, run, clock, options, terminator);
  } finally {
    terminator.stop();
  }
}

async function runLoop(
  store: Store,
  dag: Dag,
  run: DagRun,
  clock: Clock,
  options: LocalRunOptions,
  terminator: TryTerminator,
): Promise<DagRunState> {
  const structure = dag.structure();
  const queuedBy = `dags test ${workerIdentity()}`;
  const owner = { hostname: hostname(), workerId: workerIdentity() };
  for (;;) {
    const step = await store.atomically((tx) => advanceDagRun(tx, structure, run, clock.now(), { queuedBy }));
    if (step.finished) return step.finished;
    const pending: TaskInstance[] = [...(await store.tasks.latestTries(run.dagId, run.runId)).values()].filter(
      (ti) => ti.state === TaskInstanceState.QUEUED,
    );
    if (pending.length === 0) {
      const current = await store.runs.get(run.dagId, run.runId);
      if (!current) throw new Error(`run ${run.runId} of DAG '${run.dagId}' was deleted while it ran`);
      if (current.state !== DagRunState.RUNNING) return current.state;
      throw new Error(`run ${run.runId} of DAG '${run.dagId}' cannot progress: no task is ready`);
    }
    for (let next = pending.shift(); next; next = pending.shift()) {
      for (let key = next; ; ) {
        const ti = await tryLifecycleOf(store).tryStarted(key, owner, clock.now());
        if (!ti) break;
        let outcome: TryOutcome;
        try {
          outcome = await runTaskTry({ store, dag, run, ti, clock, echo: options.echo, queuedBy, terminate: terminator.watch(ti) });
        } finally {
          terminator.unwatch(ti);
        }
        options.onTry?.(ti.taskId, ti.tryNumber, outcome);
        if (outcome.state === 'terminated') break;
        if (outcome.state !== TaskInstanceState.UP_FOR_RETRY) {
          if (outcome.state !== TaskInstanceState.QUEUED) pending.push(...outcome.queued);
          break;
        }
        await sleep((outcome.retryDelayMs ?? 0) * (options.retryDelayScale ?? 1));
        key = { ...ti, tryNumber: ti.tryNumber + 1 };
      }
    }
  }
}
