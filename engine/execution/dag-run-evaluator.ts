import type { DagStructure } from '../models/dag-spec.ts';
import { DagRunState, FINISHED_TASK_STATES, TaskInstanceState, UNFINISHED_TASK_STATES } from '../models/states.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { verifyIntegrity } from './run-integrity.ts';
import { countUpstream, evaluateTriggerRule, type TriggerDecision } from './trigger-rule-evaluator.ts';
import { repairCounts, settleDownstream } from './upstream-counting.ts';

export interface RunAdvance {
  /** Tries this pass moved to `queued`: hand them to the queue after the commit (idempotent by job id). */
  queued: TaskInstance[];
  /** Set when this call finished the run. */
  finished: DagRunState | null;
}

export interface AdvanceOptions {
  /** Tasks that finished (their outcome is counted already): only their downstream tasks are decided. @defaultValue the whole run */
  changed?: readonly string[];
  /** Recorded as `queued_by` on every try this pass queues (`scheduler host:pid`, `worker host:pid`). */
  queuedBy: string;
  /** Finish the run when nothing is left to do. A worker's hand-off leaves that to the scheduler. @defaultValue `true` */
  finish?: boolean;
}

const FAILED_LEAF: ReadonlySet<TaskInstanceState> = new Set([TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED]);

/**
 * Moves one running DAG run forward: the scheduler's passes and `dags test`.
 * Call it inside one transaction ({@link Store.atomically}).
 *
 * Decides, from the stored upstream counts (ADR 13) and with the one
 * evaluator's plans applied in SQL, the tasks whose try is in `none`: with
 * `changed` (tasks whose finish a worker recorded) their downstream tasks,
 * else every task of the run, after bringing the run's tries in line with
 * the DAG as parsed now (verifyIntegrity) and the stored counts in line with
 * a full read of the tries (repairCounts). Skips and upstream_failed flow further down in the same
 * pass (settleDownstream); a try left `scheduled` by an older version is
 * queued. Finishes the run when no task is unfinished: failed if any leaf
 * failed or is upstream_failed, else success.
 */
export async function advanceDagRun(
  store: Store,
  structure: DagStructure,
  run: DagRun,
  now: Date,
  options: AdvanceOptions,
): Promise<RunAdvance> {
  const { changed } = options;
  let states: Map<string, TaskInstance> | null = null;
  const queued: TaskInstance[] = [];
  if (changed) {
    const decide = changed.flatMap((c) => structure.tasks.get(c)?.downstream ?? []);
    queued.push(
      ...(await settleDownstream(store, structure, run.dagId, run.runId, { changes: [], decide, queuedBy: options.queuedBy, at: now })),
    );
  } else {
    // The full read this pass makes anyway also checks the stored counts against it (the safety net).
    states = await repairCounts(store, structure, run.dagId, run.runId);
    if (await verifyIntegrity(store, structure, run, states, now)) states = await repairCounts(store, structure, run.dagId, run.runId);
    const decide = structure.spec.tasks.filter((t) => states!.get(t.taskId)?.state === TaskInstanceState.NONE).map((t) => t.taskId);
    queued.push(
      ...(await settleDownstream(store, structure, run.dagId, run.runId, { changes: [], decide, queuedBy: options.queuedBy, at: now })),
    );
    const legacy = [...states.values()].filter((ti) => ti.state === TaskInstanceState.SCHEDULED);
    if (legacy.length > 0) {
      queued.push(
        ...(await store.tasks.transitionManyReturning(
          legacy,
          [TaskInstanceState.SCHEDULED],
          TaskInstanceState.QUEUED,
          { queued_at: now.toISOString(), queued_by: options.queuedBy },
          now,
        )),
      );
    }
    if (queued.length === 0 && decide.length > 0) states = await store.tasks.latestTries(run.dagId, run.runId);
  }
  queued.sort((a, b) => (structure.position.get(a.taskId) ?? 0) - (structure.position.get(b.taskId) ?? 0));
  // Something was just queued: the run cannot be finished.
  const finished = queued.length > 0 || options.finish === false ? null : await finishIfDone(store, structure, run, now, states);
  return { queued, finished };
}

/** The trigger rule's decision for `taskId` from a full read of `states` (an upstream task without a try counts as removed). */
function decide(structure: DagStructure, taskId: string, states: ReadonlyMap<string, TaskInstance>): TriggerDecision {
  const task = structure.tasks.get(taskId)!;
  return evaluateTriggerRule(
    task.triggerRule,
    countUpstream(task.upstream.map((id) => states.get(id)?.state ?? TaskInstanceState.REMOVED)),
  );
}

/**
 * The tasks among `taskIds` still in `none` whose trigger rule, on a full
 * read `states`, no longer says wait: the reference the counting path is
 * checked against (test/upstream-counts.test.ts). Nothing on the hot path
 * reads every upstream of a task.
 */
export function undecidedTasks(structure: DagStructure, taskIds: readonly string[], states: ReadonlyMap<string, TaskInstance>): string[] {
  return taskIds.filter(
    (id) => structure.tasks.has(id) && states.get(id)?.state === TaskInstanceState.NONE && decide(structure, id, states) !== 'wait',
  );
}

async function finishIfDone(
  store: Store,
  structure: DagStructure,
  run: DagRun,
  now: Date,
  all: Map<string, TaskInstance> | null,
): Promise<DagRunState | null> {
  const latest =
    all ?? ((await store.tasks.hasUnfinished(run.dagId, run.runId)) ? null : await store.tasks.latestTries(run.dagId, run.runId));
  if (!latest) return null;
  const values = [...latest.values()];
  const allDone = values.every((ti) => FINISHED_TASK_STATES.has(ti.state));
  const stuck = !allDone && !values.some((ti) => UNFINISHED_TASK_STATES.has(ti.state));
  if (!allDone && !stuck) return null;
  const leafFailed = structure.leaves().some((leaf) => FAILED_LEAF.has(latest.get(leaf.taskId)?.state ?? TaskInstanceState.NONE));
  const target = stuck || leafFailed ? DagRunState.FAILED : DagRunState.SUCCESS;
  return (await store.runs.transition(run.dagId, run.runId, [DagRunState.RUNNING], target, now)) ? target : null;
}
