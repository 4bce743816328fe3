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
}

const FAILED_LEAF: ReadonlySet<TaskInstanceState> = new Set([TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED]);

/**
 * Moves one running DAG run forward; shared by the scheduler and `dags test`.
 *
 * Evaluates the trigger rule of tasks whose try is in `none`, in topological
 * order, and moves each to scheduled / skipped / upstream_failed with
 * compare-and-set. With `changed` (tasks that just finished) only what they
 * can affect is read: their downstream tasks, and further down through tasks
 * that are (or just became) finished. Without it, the whole run is evaluated.
 * Finishes the run when no task is unfinished: failed if any leaf failed or
 * is upstream_failed, else success.
 */
export async function advanceDagRun(store: Store, structure: DagStructure, run: DagRun, clock: Clock, changed?: readonly string[]): Promise<RunAdvance> {
  const order = new Map(structure.spec.tasks.map((t, i) => [t.taskId, i]));
  const states = changed ? new Map<string, TaskInstance>() : await store.tasks.latestTries(run.dagId, run.runId);
  const ensure = async (ids: readonly string[]): Promise<void> => {
    const missing = ids.filter((id) => !states.has(id));
    if (missing.length > 0) for (const [id, ti] of await store.tasks.latestTriesFor(run.dagId, run.runId, missing)) states.set(id, ti);
  };

  const pending = new Set<string>(changed ? changed.flatMap((id) => structure.tasks.get(id)?.downstream ?? []) : structure.spec.tasks.map((t) => t.taskId));
  const visited = new Set<string>();
  const ready: TaskInstance[] = [];
  const now = clock.now();
  while (pending.size > 0) {
    const taskId = [...pending].reduce((a, b) => ((order.get(a) ?? 0) <= (order.get(b) ?? 0) ? a : b));
    pending.delete(taskId);
    if (visited.has(taskId)) continue;
    visited.add(taskId);
    const task = structure.tasks.get(taskId);
    if (!task) continue;
    await ensure([taskId, ...task.upstream]);
    let ti = states.get(taskId);
    if (!ti) continue;
    if (ti.state === TaskInstanceState.NONE) {
      const upstream = task.upstream.map((id) => states.get(id)?.state ?? TaskInstanceState.REMOVED);
      const decision = evaluateTriggerRule(task.triggerRule, countUpstream(upstream));
      if (decision !== 'wait') {
        const to = decision === 'run' ? TaskInstanceState.SCHEDULED : decision === 'skip' ? TaskInstanceState.SKIPPED : TaskInstanceState.UPSTREAM_FAILED;
        const patch = to === TaskInstanceState.SCHEDULED ? {} : { end_date: now.toISOString() };
        ti = (await store.tasks.transition(ti, [TaskInstanceState.NONE], to, patch, now)) ? { ...ti, state: to } : ((await store.tasks.get(ti)) ?? ti);
        states.set(taskId, ti);
      }
    }
    if (ti.state === TaskInstanceState.SCHEDULED) ready.push(ti);
    // A finished task (decided just now, or skipped by a branch) unblocks its downstream.
    if (FINISHED_TASK_STATES.has(ti.state)) for (const d of task.downstream) if (!visited.has(d)) pending.add(d);
  }

  // Something was just scheduled: the run cannot be finished.
  const finished = ready.length > 0 ? null : await finishIfDone(store, structure, run, now, changed ? null : states);
  return { ready, finished };
}

async function finishIfDone(store: Store, structure: DagStructure, run: DagRun, now: Date, all: Map<string, TaskInstance> | null): Promise<DagRunState | null> {
  const latest = all ?? (await store.tasks.hasUnfinished(run.dagId, run.runId) ? null : await store.tasks.latestTries(run.dagId, run.runId));
  if (!latest) return null;
  const values = [...latest.values()];
  const allDone = values.every((ti) => FINISHED_TASK_STATES.has(ti.state));
  const stuck = !allDone && !values.some((ti) => UNFINISHED_TASK_STATES.has(ti.state));
  if (!allDone && !stuck) return null;
  const leafFailed = structure.leaves().some((leaf) => FAILED_LEAF.has(latest.get(leaf.taskId)?.state ?? TaskInstanceState.NONE));
  const target = stuck || leafFailed ? DagRunState.FAILED : DagRunState.SUCCESS;
  return (await store.runs.transition(run.dagId, run.runId, [DagRunState.RUNNING], target, now)) ? target : null;
}
