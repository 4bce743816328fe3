import { DagStructure } from '../models/dag-spec.ts';
import { DagRunState, NOT_FINISHED_TASK_STATES, TaskInstanceState } from '../models/states.ts';
import type { DagRow } from '../store/dag-repository.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { notifyScheduler } from './dag-commands.ts';
import { applyStateChanges, type SettableRunState, type StateChange } from './mark-tries.ts';

/** A change another process raced (a worker's hand-off queued a task meanwhile) is read and applied again, this many times. */
const MAX_PASSES = 5;

const ALL_RUN_STATES = Object.values(DagRunState);

/**
 * The tries a run's new state implies, as Airflow 2's
 * `set_dag_run_state_to_success` / `_failed` / `_queued`: success marks every
 * task success; failed marks the running tries failed and every other
 * unfinished one skipped; queued changes no task.
 */
function impliedChanges(run: DagRun, state: SettableRunState, latest: Iterable<TaskInstance>): StateChange[] {
  const changes: StateChange[] = [];
  for (const ti of latest) {
    if (state === DagRunState.SUCCESS && ti.state !== TaskInstanceState.SUCCESS) changes.push({ ti, run, to: TaskInstanceState.SUCCESS });
    if (state === DagRunState.FAILED && ti.state === TaskInstanceState.RUNNING) changes.push({ ti, run, to: TaskInstanceState.FAILED });
    else if (state === DagRunState.FAILED && NOT_FINISHED_TASK_STATES.includes(ti.state))
      changes.push({ ti, run, to: TaskInstanceState.SKIPPED });
  }
  return changes;
}

export interface DagRunStateChange {
  /** The run as this call left it (with `dryRun`, unchanged). */
  run: DagRun;
  /** The tries moved (with `dryRun`, those that would be), in DAG order. */
  changes: StateChange[];
}

/**
 * Sets a run's state from outside (Airflow's PATCH dagRun, the UI's "mark run
 * success / failed", "queue up new tasks"), with the task changes that state
 * implies: every change is a compare-and-set, the run's own state changes in
 * the same transaction; a change raced by another process is read and applied
 * again. Running tries marked here are terminated by their workers within a
 * heartbeat. `queued` hands the run back to the scheduler to run whatever is
 * not done.
 */
export async function setDagRunState(
  store: Store,
  dag: DagRow,
  run: DagRun,
  state: SettableRunState,
  options: { dryRun?: boolean },
  now: Date,
): Promise<DagRunStateChange> {
  const structure = new DagStructure(dag.spec);
  const read = async (): Promise<StateChange[]> => {
    const latest = [...(await store.tasks.latestTries(run.dagId, run.runId)).values()].sort(
      (a, b) => (structure.position.get(a.taskId) ?? 0) - (structure.position.get(b.taskId) ?? 0),
    );
    return impliedChanges(run, state, latest);
  };
  let pending = await read();
  if (options.dryRun) return { run, changes: pending };

  const applied: StateChange[] = [];
  const moveRun = async (tx: Store): Promise<void> => {
    if (state === DagRunState.QUEUED) {
      const finished = [DagRunState.SUCCESS, DagRunState.FAILED];
      if (!(await tx.runs.reopen(run.dagId, run.runId, finished, now)))
        await tx.runs.transition(run.dagId, run.runId, [DagRunState.RUNNING], DagRunState.QUEUED, now);
    } else {
      await tx.runs.transition(
        run.dagId,
        run.runId,
        ALL_RUN_STATES.filter((s) => s !== state),
        state,
        now,
      );
    }
  };
  let moved = await applyStateChanges(store, pending, now, moveRun);
  applied.push(...moved);
  for (let pass = 1; pass < MAX_PASSES && moved.length < pending.length; pass++) {
    pending = await read();
    moved = await applyStateChanges(store, pending, now);
    applied.push(...moved);
  }
  // Read before the scheduler is woken: the answer is the state set here, not what the scheduler made of it since.
  const current = (await store.runs.get(run.dagId, run.runId)) ?? run;
  await notifyScheduler({ type: 'tasks-marked', dagId: run.dagId, runId: run.runId });
  return { run: current, changes: applied };
}
