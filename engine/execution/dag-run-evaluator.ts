import type { DagStructure } from '../models/dag-spec.ts';
import { DagRunState, FINISHED_TASK_STATES, TaskInstanceState, UNFINISHED_TASK_STATES } from '../models/states.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { verifyIntegrity } from './run-integrity.ts';
import { countUpstream, evaluateTriggerRule, type TriggerDecision } from './trigger-rule-evaluator.ts';

export interface RunAdvance {
  /** Tries this pass moved to `queued`: hand them to the queue after the commit (idempotent by job id). */
  queued: TaskInstance[];
  /** Set when this call finished the run. */
  finished: DagRunState | null;
}

export interface AdvanceOptions {
  /** Tasks that just finished: only what they affect is evaluated. @defaultValue the whole run */
  changed?: readonly string[];
  /** Recorded as `queued_by` on every try this pass queues (`scheduler host:pid`, `worker host:pid`). */
  queuedBy: string;
  /** Finish the run when nothing is left to do. A worker's hand-off leaves that to the scheduler. @defaultValue `true` */
  finish?: boolean;
}

const FAILED_LEAF: ReadonlySet<TaskInstanceState> = new Set([TaskInstanceState.FAILED, TaskInstanceState.UPSTREAM_FAILED]);

/**
 * Moves one running DAG run forward; shared by the scheduler, a worker's
 * hand-off (Airflow's mini-scheduler) and `dags test`. Call it inside one
 * transaction ({@link Store.atomically}, or a try's outcome transaction).
 *
 * Evaluates the trigger rule of tasks whose try is in `none`, in topological
 * order, and moves each to queued / skipped / upstream_failed with
 * compare-and-set (a try left `scheduled` by an older version is queued too).
 * With `changed` (tasks that just finished) only what they can affect is
 * read: their downstream tasks, and further down through tasks that are (or
 * just became) finished, so skips and upstream_failed propagate in the same
 * pass. Without it, the whole run is evaluated, after bringing the run's
 * tries in line with the DAG as parsed now (verifyIntegrity). Finishes the
 * run when no task is unfinished: failed if any leaf failed or is
 * upstream_failed, else success.
 */
export async function advanceDagRun(store: Store, structure: DagStructure, run: DagRun, now: Date, options: AdvanceOptions): Promise<RunAdvance> {
  const { changed } = options;
  let states = changed ? new Map<string, TaskInstance>() : await store.tasks.latestTries(run.dagId, run.runId);
  if (!changed && (await verifyIntegrity(store, structure, run, states, now))) states = await store.tasks.latestTries(run.dagId, run.runId);
  const at = now.toISOString();
  const walked = await walkRun(structure, states, changed ? changed.flatMap((c) => structure.tasks.get(c)?.downstream ?? []) : structure.spec.tasks.map((t) => t.taskId), {
    ensure: async (ids) => {
      const missing = ids.filter((id) => !states.has(id));
      if (missing.length > 0) for (const [id, ti] of await store.tasks.latestTriesFor(run.dagId, run.runId, missing)) states.set(id, ti);
      return true;
    },
    settle: async (ti, to) => ((await store.tasks.transition(ti, [TaskInstanceState.NONE], to, { end_date: at }, now)) ? { ...ti, state: to } : ((await store.tasks.get(ti)) ?? ti)),
  });
  const { ready, legacy } = walked!;
  const queue = { queued_at: at, queued_by: options.queuedBy };
  // Compare-and-set: a try another process moved meanwhile is not ours to enqueue.
  const queued = [
    ...(await store.tasks.transitionManyReturning(ready, [TaskInstanceState.NONE], TaskInstanceState.QUEUED, queue, now)),
    ...(await store.tasks.transitionManyReturning(legacy, [TaskInstanceState.SCHEDULED], TaskInstanceState.QUEUED, queue, now)),
  ].sort((a, b) => (structure.position.get(a.taskId) ?? 0) - (structure.position.get(b.taskId) ?? 0));
  // Something was just queued: the run cannot be finished.
  const finished = queued.length > 0 || options.finish === false ? null : await finishIfDone(store, structure, run, now, changed ? null : states);
  return { queued, finished };
}

/**
 * A finish's hand-off decided before the finish is written (PostgreSQL
 * records both in one statement): the downstream tries that become ready
 * once `changed` finish, from `states` — the run's tries read just before,
 * with the finishing tries already set to the states they are about to be
 * recorded in. The same worklist and trigger-rule evaluator as
 * {@link advanceDagRun}. Null when the decision is not only "queue these" (a
 * skip, an upstream_failed, a try left `scheduled`) or needs a try `states`
 * was not read for: the caller then takes advanceDagRun's transactional path.
 */
export async function planHandOff(structure: DagStructure, states: ReadonlyMap<string, TaskInstance>, read: ReadonlySet<string>, changed: readonly string[]): Promise<TaskInstance[] | null> {
  const walked = await walkRun(structure, new Map(states), changed.flatMap((c) => structure.tasks.get(c)?.downstream ?? []), {
    ensure: async (ids) => ids.every((id) => read.has(id)),
    settle: async () => null,
  });
  return walked && walked.legacy.length === 0 ? walked.ready : null;
}

/** The tasks whose tries {@link planHandOff} reads for a finish of `taskIds`: their downstream tasks and those tasks' upstream. */
export function handOffReads(structure: DagStructure, taskIds: readonly string[]): string[] {
  const ids = new Set<string>(taskIds);
  for (const id of taskIds) {
    for (const d of structure.tasks.get(id)?.downstream ?? []) {
      ids.add(d);
      for (const u of structure.tasks.get(d)?.upstream ?? []) ids.add(u);
    }
  }
  return [...ids];
}

/** The trigger rule's decision for `taskId` on the tries in `states` (an upstream task without a try counts as removed). */
function decide(structure: DagStructure, taskId: string, states: ReadonlyMap<string, TaskInstance>): TriggerDecision {
  const task = structure.tasks.get(taskId)!;
  return evaluateTriggerRule(task.triggerRule, countUpstream(task.upstream.map((id) => states.get(id)?.state ?? TaskInstanceState.REMOVED)));
}

/**
 * The tasks among `taskIds` still in `none` whose trigger rule, on `states`,
 * no longer says wait: a join left undecided by two hand-offs that each read
 * the other's try before it committed (upstreams finishing at once on
 * PostgreSQL, whose transactions read committed data only).
 */
export function undecidedTasks(structure: DagStructure, taskIds: readonly string[], states: ReadonlyMap<string, TaskInstance>): string[] {
  return taskIds.filter((id) => structure.tasks.has(id) && states.get(id)?.state === TaskInstanceState.NONE && decide(structure, id, states) !== 'wait');
}

interface WalkIo {
  /** Makes sure `states` holds the current tries of `ids`; false: they cannot be read here (stop the walk). */
  ensure(ids: readonly string[]): Promise<boolean>;
  /** Moves a `none` try to skipped / upstream_failed and returns it as it now is; null: not here (stop the walk). */
  settle(ti: TaskInstance, to: TaskInstanceState): Promise<TaskInstance | null>;
}

/**
 * The worklist: evaluates the trigger rule of tasks in `none`, from `start`
 * on, in topological order, going further down only through tasks that are
 * (or just became) finished. Returns the tries to queue (and legacy
 * `scheduled` ones), or null when `io` stopped the walk.
 */
async function walkRun(structure: DagStructure, states: Map<string, TaskInstance>, start: readonly string[], io: WalkIo): Promise<{ ready: TaskInstance[]; legacy: TaskInstance[] } | null> {
  // A min-heap of positions in spec.tasks: a task is evaluated after every upstream task this pass might have decided.
  const heap: number[] = [];
  const seen = new Set<number>();
  const push = (taskId: string): void => {
    const at = structure.position.get(taskId);
    if (at === undefined || seen.has(at)) return;
    seen.add(at);
    heap.push(at);
    for (let i = heap.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= heap[i]!) break;
      [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
      i = parent;
    }
  };
  const pop = (): string => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l]! < heap[m]!) m = l;
        if (r < heap.length && heap[r]! < heap[m]!) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i]!, heap[m]!];
        i = m;
      }
    }
    return structure.spec.tasks[top]!.taskId;
  };
  for (const id of start) push(id);
  const ready: TaskInstance[] = [];
  /** Tries left `scheduled` by an older version. */
  const legacy: TaskInstance[] = [];
  while (heap.length > 0) {
    const taskId = pop();
    const task = structure.tasks.get(taskId);
    if (!task) continue;
    if (!(await io.ensure([taskId, ...task.upstream]))) return null;
    let ti = states.get(taskId);
    if (!ti) continue;
    if (ti.state === TaskInstanceState.NONE) {
      const decision = decide(structure, taskId, states);
      if (decision === 'run') {
        // Queued by the caller, all in one statement; an unfinished task decides nothing downstream meanwhile.
        ready.push(ti);
        ti = { ...ti, state: TaskInstanceState.QUEUED };
        states.set(taskId, ti);
      } else if (decision !== 'wait') {
        const settled = await io.settle(ti, decision === 'skip' ? TaskInstanceState.SKIPPED : TaskInstanceState.UPSTREAM_FAILED);
        if (!settled) return null;
        ti = settled;
        states.set(taskId, ti);
      }
    } else if (ti.state === TaskInstanceState.SCHEDULED) {
      legacy.push(ti);
    }
    // A finished task (decided just now, or skipped by a branch) unblocks its downstream.
    if (FINISHED_TASK_STATES.has(ti.state)) for (const d of task.downstream) push(d);
  }
  return { ready, legacy };
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
