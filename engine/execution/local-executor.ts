import type { Dag } from '../models/dag.ts';
import { DagRunState, TaskInstanceState } from '../models/states.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import { sleep, type Clock } from '../utils/clock.ts';
import { advanceDagRun } from './dag-run-evaluator.ts';
import { beginTry, runTaskTry, type TryOutcome } from './task-runner.ts';

export interface LocalRunOptions {
  /** Multiplies every retry delay (e.g. 0 to retry at once while developing). @defaultValue `1` */
  retryDelayScale?: number;
  /** Called after each try. */
  onTry?: (taskId: string, tryNumber: number, outcome: TryOutcome) => void;
  echo?: (line: string) => void;
}

/**
 * Runs one DAG run to the end in this process, with no queue: the executor
 * behind `dags test`. Uses the same evaluator and task runner as the
 * scheduler and workers; tasks run one at a time in topological order.
 */
export async function runDagRunLocally(store: Store, dag: Dag, run: DagRun, clock: Clock, options: LocalRunOptions = {}): Promise<DagRunState> {
  const structure = dag.structure();
  if (run.state === DagRunState.QUEUED) await store.runs.transition(run.dagId, run.runId, [DagRunState.QUEUED], DagRunState.RUNNING, clock.now());
  for (;;) {
    const step = await advanceDagRun(store, structure, run, clock);
    if (step.finished) return step.finished;
    if (step.ready.length === 0) {
      const current = await store.runs.get(run.dagId, run.runId);
      if (current && current.state !== DagRunState.RUNNING) return current.state;
      throw new Error(`run ${run.runId} of DAG '${run.dagId}' cannot progress: no task is ready`);
    }
    for (const scheduled of step.ready) {
      let key = scheduled;
      let from: TaskInstanceState[] = [TaskInstanceState.SCHEDULED];
      for (;;) {
        const ti = await beginTry(store, key, from, clock);
        if (!ti) break;
        const outcome = await runTaskTry({ store, dag, run, ti, clock, echo: options.echo });
        options.onTry?.(ti.taskId, ti.tryNumber, outcome);
        if (outcome.state !== TaskInstanceState.UP_FOR_RETRY) break;
        await sleep((outcome.retryDelayMs ?? 0) * (options.retryDelayScale ?? 1));
        key = { ...key, tryNumber: key.tryNumber + 1 };
        from = [];
      }
    }
  }
}
