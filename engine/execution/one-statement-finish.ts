import type { DagStructure } from '../models/dag-spec.ts';
import type { HandOffPlan, PlannedFinish } from '../models/hand-off-plan.ts';
import { FINISHED_TASK_STATES, TaskInstanceState } from '../models/states.ts';
import { keyString, runKeyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import { finishInOneStatement } from '../store/postgres-finish.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { advanceDagRun, planHandOff } from './dag-run-evaluator.ts';
import { readHandOff, type HandOffRead } from './hand-off-read.ts';
import { returnValueOf, type FinishedTry, type FinishOptions, type SettledTry } from './try-outcome.ts';

/** A finish as {@link finishGroupInOneStatement} takes it. */
export interface OneStatementFinish {
  ti: TaskInstance;
  run: DagRun;
  settled: SettledTry;
  options: FinishOptions;
}

/** One run's hand-off for the finishes of a group, decided before the statement. */
interface RunPlan extends HandOffPlan {
  run: DagRun;
  structure: DagStructure;
  taskIds: string[];
}

const RUNNING: readonly TaskInstanceState[] = [TaskInstanceState.RUNNING];
const sameStates = (a: readonly TaskInstanceState[], b: readonly TaskInstanceState[]): boolean => a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * PostgreSQL: a group of finishes with their downstream hand-off, recorded in
 * one statement that commits on its own (the store's finishInOneStatement).
 *
 * The hand-off is decided here, before the statement, by {@link planHandOff}
 * (the one trigger-rule evaluator), from the run's tries as read while the try
 * ran ({@link FinishOptions.handOffRead}) or just before; the statement only
 * applies it, as a compare-and-set on everything it was decided from. When
 * that no longer holds (a concurrent finish, a clear), the finishes are
 * recorded and their hand-off is decided again the transactional way
 * ({@link advanceDagRun}).
 *
 * Returns one entry per request; null for those that must take the
 * transactional path whole (a branch's skips, a decision to skip or fail
 * downstream, a compare-and-set from other states, a try left `scheduled`).
 */
export async function finishGroupInOneStatement(store: Store, requests: readonly OneStatementFinish[], end: Date): Promise<Array<FinishedTry | null>> {
  const results: Array<FinishedTry | null> = requests.map(() => null);
  const fast = new Map<string, number>();
  const duplicates: number[] = [];
  requests.forEach((r, i) => {
    if (r.settled.skip.length > 0 || !sameStates(r.options.from ?? RUNNING, RUNNING)) return;
    // The same try finished twice in one group (a duplicate delivery) is recorded once, for its first request.
    if (fast.has(keyString(r.ti))) duplicates.push(i);
    else fast.set(keyString(r.ti), i);
  });

  const plans: RunPlan[] = [];
  for (const group of byRun([...fast.values()].map((i) => requests[i]!))) {
    const deciding = group.filter((r) => r.options.structure && r.settled.state !== TaskInstanceState.UP_FOR_RETRY);
    if (deciding.length === 0) continue;
    const plan = await planRun(store, deciding[0]!.options.structure!, deciding);
    if (plan) plans.push(plan);
    else for (const r of group) fast.delete(keyString(r.ti));
  }
  if (fast.size === 0) return results;

  const rows = [...fast.values()].map((i) => requests[i]!);
  const queuedBy = rows[0]!.options.queuedBy;
  const finishes = rows.map((r): PlannedFinish => ({ key: r.ti, state: r.settled.state, error: r.settled.error, log: r.options.log ?? null, returnValue: returnValueOf(r.settled) }));
  const handOff: HandOffPlan = { queue: plans.flatMap((p) => p.queue), premises: plans.flatMap((p) => p.premises) };
  const { recorded, queued, stale } = await finishInOneStatement(store.db, { finishes, handOff, queuedBy, at: end });
  for (const i of fast.values()) {
    const r = requests[i]!;
    results[i] = { ...r.settled, recorded: recorded.has(keyString(r.ti)), queued: [] };
  }
  for (const i of duplicates) results[i] = { ...requests[i]!.settled, recorded: false, queued: [] };
  const ownerOf = (after: readonly TaskInstanceKey[]): FinishedTry | undefined =>
    after.map((k) => fast.get(keyString(k))).filter((i) => i !== undefined && results[i]!.recorded).map((i) => results[i!]!)[0];
  if (stale) {
    // Something the decision was read from has moved: decide again from the store as it is now.
    for (const plan of plans) {
      const finished = plan.taskIds.filter((id) => rows.some((r) => r.ti.taskId === id && r.ti.runId === plan.run.runId && recorded.has(keyString(r.ti))));
      if (finished.length === 0) continue;
      const step = await store.atomically((tx) => advanceDagRun(tx, plan.structure, plan.run, end, { changed: finished, queuedBy, finish: false }));
      const owner = ownerOf(rows.filter((r) => r.ti.runId === plan.run.runId && r.ti.dagId === plan.run.dagId && finished.includes(r.ti.taskId)).map((r) => r.ti));
      owner?.queued.push(...step.queued);
    }
  } else {
    // Each queued try goes to the hand-off of one finish it came after (the enqueue is idempotent by job id).
    for (const ti of queued) ownerOf(handOff.queue.find((t) => keyString(t.key) === keyString(ti))?.after ?? [])?.queued.push(ti);
  }
  for (const r of results) r?.queued.sort((a, b) => (structureOf(requests, a)?.position.get(a.taskId) ?? 0) - (structureOf(requests, b)?.position.get(b.taskId) ?? 0));
  return results;
}

function structureOf(requests: readonly OneStatementFinish[], ti: TaskInstance): DagStructure | null {
  return requests.find((r) => r.ti.dagId === ti.dagId)?.options.structure ?? null;
}

function byRun(requests: readonly OneStatementFinish[]): OneStatementFinish[][] {
  const runs = new Map<string, OneStatementFinish[]>();
  for (const r of requests) {
    const key = runKeyString(r.ti.dagId, r.ti.runId);
    runs.set(key, [...(runs.get(key) ?? []), r]);
  }
  return [...runs.values()];
}

/**
 * The run's hand-off for these finishes, or null when it is not only "queue
 * these". Decided from what was read while the tries ran when every one of
 * them has its read, else from one read now.
 */
async function planRun(store: Store, structure: DagStructure, finishing: readonly OneStatementFinish[]): Promise<RunPlan | null> {
  const taskIds = finishing.map((r) => r.ti.taskId);
  const ahead = await Promise.all(finishing.map((r) => r.options.handOffRead ?? Promise.resolve(null)));
  let read: HandOffRead;
  if (ahead.every((a) => a !== null)) {
    read = { reads: new Set(ahead.flatMap((a) => [...a!.reads])), states: new Map(ahead.flatMap((a) => [...a!.states])) };
  } else {
    read = await readHandOff(store, structure, finishing.map((r) => r.ti));
  }
  const states = new Map(read.states);
  // A running try is its task's newest (a try is superseded only from up_for_retry or a finished state), even if it was opened after the read.
  for (const r of finishing) states.set(r.ti.taskId, { ...r.ti, state: r.settled.state });
  const ready = await planHandOff(structure, states, read.reads, taskIds);
  if (!ready) return null;
  return {
    run: finishing[0]!.run,
    structure,
    taskIds,
    queue: ready.map((ti) => ({ key: ti, after: finishing.filter((r) => structure.tasks.get(ti.taskId)?.upstream.includes(r.ti.taskId)).map((r) => r.ti) })),
    premises: [...read.states.values()].filter((ti) => !taskIds.includes(ti.taskId))
      .map((ti) => ({ dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, state: FINISHED_TASK_STATES.has(ti.state) ? ti.state : 'unfinished' })),
  };
}
