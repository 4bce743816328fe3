import { InvalidInputError } from '../models/errors.ts';
import { DagRunState, FINISHED_DAG_RUN_STATES, FINISHED_TASK_STATES, TaskInstanceState } from '../models/states.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance, TaskInstancePatch } from '../store/task-instance-repository.ts';
import { DagStructure } from '../models/dag-spec.ts';
import { runKeyString } from '../models/task-instance-key.ts';
import { recordOutcomeChanges } from '../execution/upstream-counting.ts';
import { notifyScheduler } from './dag-commands.ts';

/**
 * Setting states from outside (Airflow's `api/common/mark_tasks`): the parts
 * shared by marking task instances and marking runs.
 */

/** The states a task instance can be set to from outside (Airflow's `new_state`). */
export const MARKABLE_TASK_STATES = [TaskInstanceState.SUCCESS, TaskInstanceState.FAILED] as const;
export type MarkableTaskState = (typeof MARKABLE_TASK_STATES)[number];

/** The states a run can be set to from outside (Airflow's PATCH dagRun `state`). */
export const SETTABLE_RUN_STATES = [DagRunState.SUCCESS, DagRunState.FAILED, DagRunState.QUEUED] as const;
export type SettableRunState = (typeof SETTABLE_RUN_STATES)[number];

export function parseMarkableTaskState(value: string, what: string): MarkableTaskState {
  if ((MARKABLE_TASK_STATES as readonly string[]).includes(value)) return value as MarkableTaskState;
  throw new InvalidInputError(`${what}: cannot set a task instance to '${value}' (use ${MARKABLE_TASK_STATES.join(' or ')})`);
}

export function parseSettableRunState(value: string, what: string): SettableRunState {
  if ((SETTABLE_RUN_STATES as readonly string[]).includes(value)) return value as SettableRunState;
  throw new InvalidInputError(`${what}: cannot set a DAG run to '${value}' (use ${SETTABLE_RUN_STATES.join(', ')})`);
}

/** One try to move from its current state to `to`. */
export interface StateChange {
  ti: TaskInstance;
  run: DagRun;
  to: TaskInstanceState;
}

/** How a change is reported by the CLI (`-o json`) and the REST API: one shape. */
export const stateChangeRow = ({ ti, run, to }: StateChange): Record<string, unknown> => ({
  dag_id: ti.dagId,
  run_id: ti.runId,
  task_id: ti.taskId,
  try_number: ti.tryNumber,
  logical_date: run.logicalDate,
  previous_state: ti.state,
  new_state: to,
});

/**
 * Airflow's `TaskInstance.set_state`: the try keeps its start (or starts
 * now), a finished state ends it now unless it had ended already; success and
 * skipped carry no error.
 */
function patchFor(ti: TaskInstance, to: TaskInstanceState, now: Date): TaskInstancePatch {
  const at = now.toISOString();
  const start = ti.startDate ?? at;
  const end = FINISHED_TASK_STATES.has(to) ? (FINISHED_TASK_STATES.has(ti.state) && ti.endDate ? ti.endDate : at) : null;
  return {
    start_date: start,
    end_date: end,
    duration_ms: end === null ? null : Math.max(0, Date.parse(end) - Date.parse(start)),
    error: to === TaskInstanceState.FAILED ? ti.error : null,
  };
}

/**
 * Applies `changes` in one transaction, each a compare-and-set from the state
 * it was read in: a try another process moved meanwhile is left alone.
 * Returns the changes that applied. A running try's worker notices at its
 * next heartbeat and terminates it (TryTerminator).
 */
export function applyStateChanges(
  store: Store,
  changes: readonly StateChange[],
  now: Date,
  alsoInTransaction?: (tx: Store) => Promise<unknown>,
): Promise<StateChange[]> {
  return store.atomically(async (tx) => {
    const applied: StateChange[] = [];
    for (const change of changes) {
      if (await tx.tasks.transition(change.ti, [change.ti.state], change.to, patchFor(change.ti, change.to, now), now))
        applied.push(change);
    }
    // The downstream counts move with the outcomes, in the same transaction (ADR 13).
    const byRun = new Map<string, StateChange[]>();
    for (const c of applied)
      byRun.set(runKeyString(c.ti.dagId, c.ti.runId), [...(byRun.get(runKeyString(c.ti.dagId, c.ti.runId)) ?? []), c]);
    for (const group of byRun.values()) {
      const { dagId, runId } = group[0]!.ti;
      const dag = await tx.dags.get(dagId);
      if (dag)
        await recordOutcomeChanges(
          tx,
          new DagStructure(dag.spec),
          dagId,
          runId,
          group.map((c) => ({ taskId: c.ti.taskId, from: c.ti.state, to: c.to })),
        );
    }
    await alsoInTransaction?.(tx);
    return applied;
  });
}

/**
 * After tries of a run were set from outside, its state is decided again by
 * the scheduler (the one evaluator): a finished run goes back to `queued`,
 * and the scheduler is woken, so downstream tasks of a task marked success
 * become schedulable and a run whose leaf was marked gets the state that follows.
 */
export async function reevaluateRun(store: Store, run: DagRun, now: Date): Promise<void> {
  const current = await store.runs.get(run.dagId, run.runId);
  if (!current) return;
  if (FINISHED_DAG_RUN_STATES.has(current.state)) await store.runs.reopen(run.dagId, run.runId, [current.state], now);
  await notifyScheduler({ type: 'tasks-marked', dagId: run.dagId, runId: run.runId });
}
