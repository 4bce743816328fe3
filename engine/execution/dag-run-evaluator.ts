import type { DagStructure } from '../models/dag-spec.ts';
import { DagRunState, FINISHED_TASK_STATES, TaskInstanceState, UNFINISHED_TASK_STATES } from '../models/states.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import type { Clock } from '../utils/clock.ts';
import { countUpstream, evaluateTriggerRule } from './trigger-rule-evaluator.ts';

export interface RunAdvance {
  /** Tries in state `scheduled`: hand them to an executor (idempotently). */
  ready: TaskInstance[];
  /** Set when this call finished the run. */
  finished: DagRunState | null;
  /** Newest try of each task after this call. */
  latest: Map<string, TaskInstance>;
}

const FAILED_LEAF: ReadonlySet<TaskInstanceState> = new Set([TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED]);

/**
 * Moves one running DAG run forward, shared by the scheduler and `dags test`:
 * evaluates the trigger rule of every task still in `none` (in topological
 * order, so a decision flows down in one pass), moves it to scheduled /
 * skipped / upstream_failed with compare-and-set, and finishes the run when
 * every task is done: failed if any leaf failed or upstream_failed, else success.
 */
export async function advanceDagRun(store: Store, structure: DagStructure, run: DagRun, clock: Clock): Promise<RunAdvance> {
  const latest = await store.tasks.latestTries(run.dagId, run.runId);
  const now = clock.now();
  for (const task of structure.spec.tasks) {
    const ti = latest.get(task.taskId);
    if (!ti || ti.state !== TaskInstanceState.NONE) continue;
    const upstream = task.upstream.map((id) => latest.get(id)?.state ?? TaskInstanceState.REMOVED);
    const decision = evaluateTriggerRule(task.triggerRule, countUpstream(upstream));
    if (decision === 'wait') continue;
    const to = decision === 'run' ? TaskInstanceState.SCHEDULED : decision === 'skip' ? TaskInstanceState.SKIPPED : TaskInstanceState.UPSTREAM_FAILED;
    const patch = to === TaskInstanceState.SCHEDULED ? {} : { end_date: now.toISOString() };
    if (await store.tasks.transition(ti, [TaskInstanceState.NONE], to, patch, now)) {
      latest.set(task.taskId, { ...ti, state: to });
    } else {
      const fresh = await store.tasks.get(ti);
      if (fresh) latest.set(task.taskId, fresh);
    }
  }

  const states = [...latest.values()].map((ti) => ti.state);
  const ready = [...latest.values()].filter((ti) => ti.state === TaskInstanceState.SCHEDULED);
  let finished: DagRunState | null = null;
  const allDone = states.every((s) => FINISHED_TASK_STATES.has(s));
  const stuck = !allDone && !states.some((s) => UNFINISHED_TASK_STATES.has(s));
  if (allDone || stuck) {
    const leafFailed = structure.leaves().some((leaf) => FAILED_LEAF.has(latest.get(leaf.taskId)?.state ?? TaskInstanceState.NONE));
    const target = stuck || leafFailed ? DagRunState.FAILED : DagRunState.SUCCESS;
    if (await store.runs.transition(run.dagId, run.runId, [DagRunState.RUNNING], target, now)) finished = target;
  }
  return { ready, finished, latest };
}
