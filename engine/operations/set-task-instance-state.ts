import { DagStructure } from '../models/dag-spec.ts';
import { NotFoundError } from '../models/errors.ts';
import type { DagRow } from '../store/dag-repository.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import { clearTaskInstances } from './clear-task-instances.ts';
import { applyStateChanges, reevaluateRun, type MarkableTaskState, type StateChange } from './mark-tries.ts';

export interface SetTaskInstanceStateRequest {
  taskId: string;
  state: MarkableTaskState;
  /** Also every task upstream of it. @defaultValue `false` */
  upstream?: boolean;
  /** Also every task downstream of it. @defaultValue `false` */
  downstream?: boolean;
  /** Also the same tasks in the DAG's later runs (by logical date). @defaultValue `false` */
  future?: boolean;
  /** Also the same tasks in the DAG's earlier runs (by logical date). @defaultValue `false` */
  past?: boolean;
  /** Report what would change, change nothing. @defaultValue `false` */
  dryRun?: boolean;
}

/**
 * Airflow's "mark success / mark failed" on a task instance
 * (`DAG.set_task_instance_state`): the current try of the task — and of its
 * upstream / downstream tasks, in this run and earlier / later runs as asked
 * — moves to `state` unless it is in it already, each by compare-and-set.
 * Then, as Airflow, the failed and upstream_failed tasks downstream of the
 * task (other than those just marked) are cleared so they run again, and each
 * touched run is re-evaluated by the scheduler (a finished run is queued
 * again). A running try is terminated by its worker within a heartbeat.
 * Returns the changes made (with `dryRun`, the changes that would be made).
 */
export async function setTaskInstanceState(
  store: Store,
  dag: DagRow,
  run: DagRun,
  request: SetTaskInstanceStateRequest,
  now: Date,
): Promise<StateChange[]> {
  const structure = new DagStructure(dag.spec);
  if (!structure.tasks.has(request.taskId)) throw new NotFoundError(`DAG '${dag.dagId}' has no task '${request.taskId}'`);
  const taskIds = new Set([request.taskId]);
  if (request.upstream) for (const id of structure.ancestorsOf(request.taskId)) taskIds.add(id);
  if (request.downstream) for (const id of structure.descendantsOf(request.taskId)) taskIds.add(id);

  const runs = [run];
  if (request.future || request.past) {
    for (const other of await store.runs.list(dag.dagId)) {
      if ((request.future && other.logicalDate > run.logicalDate) || (request.past && other.logicalDate < run.logicalDate))
        runs.push(other);
    }
  }
  const changes: StateChange[] = [];
  for (const r of runs) {
    const latest = await store.tasks.latestTriesFor(r.dagId, r.runId, [...taskIds]);
    for (const ti of inOrder(structure, latest.values())) if (ti.state !== request.state) changes.push({ ti, run: r, to: request.state });
  }
  if (request.dryRun || changes.length === 0) return changes;

  const applied = await applyStateChanges(store, changes, now);
  const below = new Set(structure.descendantsOf(request.taskId).filter((id) => !taskIds.has(id)));
  for (const r of new Map(applied.map((c) => [c.run.runId, c.run])).values()) {
    if (below.size > 0) await clearTaskInstances(store, dag, r, { match: (id) => below.has(id), onlyFailed: true }, now);
    await reevaluateRun(store, r, now);
  }
  return applied;
}

const inOrder = (structure: DagStructure, tries: Iterable<StateChange['ti']>): Array<StateChange['ti']> =>
  [...tries].sort((a, b) => (structure.position.get(a.taskId) ?? 0) - (structure.position.get(b.taskId) ?? 0));
