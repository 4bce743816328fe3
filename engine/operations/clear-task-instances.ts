import { DagStructure } from '../models/dag-spec.ts';
import { DagRunState, TaskInstanceState } from '../models/states.ts';
import type { DagRow } from '../store/dag-repository.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import { notifyScheduler } from './dag-commands.ts';
import { purgeXComArtifacts, xcomPrefix } from '../execution/xcom-artifacts.ts';
import { recordOutcomeChanges, type OutcomeChange } from '../execution/upstream-counting.ts';

const CLEARABLE: readonly TaskInstanceState[] = [
  TaskInstanceState.SUCCESS,
  TaskInstanceState.FAILED,
  TaskInstanceState.SKIPPED,
  TaskInstanceState.UPSTREAM_FAILED,
  TaskInstanceState.UP_FOR_RETRY,
];
const FAILED: readonly TaskInstanceState[] = [TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED];

export interface ClearOptions {
  /** Which tasks to clear. @defaultValue every task */
  match?: (taskId: string) => boolean;
  /** Only tasks whose latest try failed or is upstream_failed. @defaultValue `false` */
  onlyFailed?: boolean;
  /** Also the tasks downstream of the matched ones. @defaultValue `false` */
  downstream?: boolean;
  /** Report what would be cleared, change nothing. @defaultValue `false` */
  dryRun?: boolean;
}

/**
 * Airflow's "clear": finished tasks of a run run again, each as a new try (the
 * old try keeps its state and log); their XComs are removed (Airflow clears a
 * task's XCom when it runs again), offloaded ones from the artifact store too;
 * the run goes back to `queued` and the scheduler is woken. Shared by `updraft tasks clear` and the REST API.
 */
export async function clearTaskInstances(
  store: Store,
  dag: DagRow,
  run: DagRun,
  options: ClearOptions,
  now: Date,
): Promise<Array<{ task_id: string; try_number: number }>> {
  const structure = new DagStructure(dag.spec);
  const latest = await store.tasks.latestTries(run.dagId, run.runId);
  const chosen = new Set(dag.spec.tasks.filter((t) => !options.match || options.match(t.taskId)).map((t) => t.taskId));
  if (options.downstream) for (const id of [...chosen]) for (const d of structure.descendantsOf(id)) chosen.add(d);
  // The new tries and the downstream counts they withdraw outcomes from, in one transaction (ADR 13).
  const cleared = await store.atomically(async (tx) => {
    const opened: Array<{ task_id: string; try_number: number }> = [];
    const changes: OutcomeChange[] = [];
    for (const task of dag.spec.tasks) {
      const ti = latest.get(task.taskId);
      if (!ti || !chosen.has(task.taskId) || !CLEARABLE.includes(ti.state)) continue;
      if (options.onlyFailed && !FAILED.includes(ti.state)) continue;
      const next = { ...ti, tryNumber: ti.tryNumber + 1 };
      if (
        options.dryRun ||
        (await tx.tasks.openNextTry(next, [ti.state], TaskInstanceState.NONE, { max_tries: next.tryNumber + task.retries }, now))
      ) {
        opened.push({ task_id: task.taskId, try_number: next.tryNumber });
        changes.push({ taskId: task.taskId, from: ti.state, to: TaskInstanceState.NONE });
      }
    }
    if (!options.dryRun) await recordOutcomeChanges(tx, structure, run.dagId, run.runId, changes);
    return opened;
  });
  if (cleared.length > 0 && !options.dryRun) {
    const taskIds = cleared.map((c) => c.task_id);
    await store.xcom.deleteFor(run.dagId, run.runId, taskIds);
    for (const taskId of taskIds) await purgeXComArtifacts(store, xcomPrefix(run.dagId, run.runId, taskId));
    await store.runs.transition(run.dagId, run.runId, [DagRunState.SUCCESS, DagRunState.FAILED], DagRunState.QUEUED, now);
    await notifyScheduler({ type: 'tasks-cleared', dagId: run.dagId, runId: run.runId });
  }
  return cleared;
}
