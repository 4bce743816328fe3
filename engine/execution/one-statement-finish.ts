import type { DagStructure } from '../models/dag-spec.ts';
import type { DownstreamEdge, PlannedFinish } from '../models/hand-off-plan.ts';
import { TaskInstanceState } from '../models/states.ts';
import { keyString, runKeyString, type TaskInstanceKey } from '../models/task-instance-key.ts';
import type { DagRun } from '../store/dag-run-repository.ts';
import { finishInOneStatement } from '../store/postgres-finish.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { countOf } from './trigger-rule-evaluator.ts';
import { returnValueOf, type FinishedTry, type FinishOptions, type SettledTry } from './try-outcome.ts';
import { plansFor, settleDownstream } from './upstream-counting.ts';

/** A finish as {@link finishGroupInOneStatement} takes it. */
export interface OneStatementFinish {
  ti: TaskInstance;
  run: DagRun;
  settled: SettledTry;
  options: FinishOptions;
}

const RUNNING: readonly TaskInstanceState[] = [TaskInstanceState.RUNNING];
const sameStates = (a: readonly TaskInstanceState[], b: readonly TaskInstanceState[]): boolean =>
  a.length === b.length && a.every((s, i) => s === b[i]);

/**
 * PostgreSQL: a group of finishes with their downstream hand-off, recorded in
 * one statement that commits on its own (the store's finishInOneStatement).
 *
 * What the statement needs is made here from the DAG's structure, without a
 * read: the edges from each finishing task to its downstream tasks, and the
 * one evaluator's plans of their trigger rules. The statement adds the
 * finishes to the downstream counts and queues what the plans say runs (ADR
 * 13). A downstream task the plans say to skip or fail is settled right
 * after, the transactional way (its own downstream counts move with it).
 *
 * Returns one entry per request; null for those that must take the
 * transactional path whole (a branch's skips, a compare-and-set from other
 * states).
 */
export async function finishGroupInOneStatement(
  store: Store,
  requests: readonly OneStatementFinish[],
  end: Date,
): Promise<Array<FinishedTry | null>> {
  const results: Array<FinishedTry | null> = requests.map(() => null);
  const fast = new Map<string, number>();
  const duplicates: number[] = [];
  requests.forEach((r, i) => {
    if (r.settled.skip.length > 0 || !sameStates(r.options.from ?? RUNNING, RUNNING)) return;
    // The same try finished twice in one group (a duplicate delivery) is recorded once, for its first request.
    if (fast.has(keyString(r.ti))) duplicates.push(i);
    else fast.set(keyString(r.ti), i);
  });
  if (fast.size === 0) return results;

  const rows = [...fast.values()].map((i) => requests[i]!);
  const queuedBy = rows[0]!.options.queuedBy;
  const finishes = rows.map(
    (r): PlannedFinish => ({
      key: r.ti,
      state: r.settled.state,
      error: r.settled.error,
      log: r.options.log ?? null,
      returnValue: returnValueOf(r.settled),
    }),
  );
  const edges: DownstreamEdge[] = rows.flatMap((r) => {
    const structure = r.options.structure;
    if (!structure || !countOf(r.settled.state)) return [];
    return (structure.tasks.get(r.ti.taskId)?.downstream ?? []).map((d) => ({
      dagId: r.ti.dagId,
      runId: r.ti.runId,
      taskId: r.ti.taskId,
      downstreamTaskId: d,
      rule: structure.task(d).triggerRule,
    }));
  });
  const { recorded, queued, settle } = await finishInOneStatement(store.db, {
    finishes,
    edges,
    plans: plansFor(edges.map((e) => e.rule)),
    queuedBy,
    at: end,
  });
  for (const i of fast.values()) {
    const r = requests[i]!;
    results[i] = { ...r.settled, recorded: recorded.has(keyString(r.ti)), queued: [] };
  }
  for (const i of duplicates) results[i] = { ...requests[i]!.settled, recorded: false, queued: [] };
  // Each queued try goes to the hand-off of one recorded finish upstream of it, else of the run's first (the enqueue is idempotent by job id).
  const ownerOf = (ti: TaskInstanceKey): FinishedTry | undefined => {
    const upstream = structureOf(requests, ti)?.tasks.get(ti.taskId)?.upstream ?? [];
    const inRun = [...fast.values()].filter(
      (i) => results[i]!.recorded && requests[i]!.ti.dagId === ti.dagId && requests[i]!.ti.runId === ti.runId,
    );
    const owner = inRun.find((i) => upstream.includes(requests[i]!.ti.taskId)) ?? inRun[0];
    return owner === undefined ? undefined : results[owner]!;
  };
  for (const ti of queued) ownerOf(ti)?.queued.push(ti);
  // Decided skipped or upstream_failed: settled with their own downstream, in one transaction per run.
  for (const group of byKey(settle, (t) => runKeyString(t.dagId, t.runId))) {
    const structure = structureOf(requests, group[0]!);
    if (!structure) continue;
    const { dagId, runId } = group[0]!;
    const more = await store.atomically((tx) =>
      settleDownstream(tx, structure, dagId, runId, { changes: [], decide: group.map((t) => t.taskId), queuedBy, at: end }),
    );
    for (const ti of more) ownerOf(ti)?.queued.push(ti);
  }
  for (const r of results)
    r?.queued.sort(
      (a, b) => (structureOf(requests, a)?.position.get(a.taskId) ?? 0) - (structureOf(requests, b)?.position.get(b.taskId) ?? 0),
    );
  return results;
}

function structureOf(requests: readonly OneStatementFinish[], ti: { dagId: string }): DagStructure | null {
  return requests.find((r) => r.ti.dagId === ti.dagId && r.options.structure)?.options.structure ?? null;
}

function byKey<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}
