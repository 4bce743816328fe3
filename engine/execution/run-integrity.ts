import type { DagStructure } from '../models/dag-spec.ts';
import { NOT_FINISHED_TASK_STATES, TaskInstanceState } from '../models/states.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';

/** Tries of a vanished task that can still be withdrawn; a running one finishes and records its outcome. */
const WITHDRAWABLE: readonly TaskInstanceState[] = NOT_FINISHED_TASK_STATES.filter((state) => state !== TaskInstanceState.RUNNING);

/**
 * Airflow's `verify_integrity`: a DAG file edited while one of its runs is in
 * flight. A task added to the DAG gets a first try in the run; the unfinished
 * try of a task no longer in the DAG becomes `removed`, so the run can still
 * finish (finished tries keep their history). Returns true when it changed
 * anything, so the caller re-reads the run's tries.
 */
export async function verifyIntegrity(
  store: Store,
  structure: DagStructure,
  run: DagRun,
  latest: ReadonlyMap<string, TaskInstance>,
  now: Date,
): Promise<boolean> {
  const added = structure.spec.tasks.filter((t) => !latest.has(t.taskId));
  if (added.length > 0) await store.tasks.createFirstTries(run.dagId, run.runId, added, now);
  let removed = 0;
  for (const ti of latest.values()) {
    if (structure.tasks.has(ti.taskId) || !WITHDRAWABLE.includes(ti.state)) continue;
    if (await store.tasks.transition(ti, [ti.state], TaskInstanceState.REMOVED, { end_date: now.toISOString() }, now)) removed++;
  }
  return added.length > 0 || removed > 0;
}
