import type { DagStructure } from '../models/dag-spec.ts';
import { FINISHED_TASK_STATES, type TaskInstanceState } from '../models/states.ts';
import type { TriggerRule } from '../models/trigger-rule.ts';
import type { TriggerRulePlan, UpstreamCountDelta, UpstreamCounts } from '../models/trigger-rule-plan.ts';
import type { Store } from '../store/store.ts';
import type { TaskInstance } from '../store/task-instance-repository.ts';
import { countOf, countUpstream, triggerRulePlan } from './trigger-rule-evaluator.ts';

/** A task's outcome as its downstream counts it, before and after a state change (null: no try). */
export interface OutcomeChange {
  taskId: string;
  from: TaskInstanceState | null;
  to: TaskInstanceState | null;
}

/**
 * What `changes` do to the counts of their direct downstream tasks: one
 * delta per downstream task, summed over the changes (a join whose upstreams
 * finish in one batch gets one delta). States that are not outcomes
 * (running, up_for_retry, none) count nothing.
 */
export function countDeltas(structure: DagStructure, changes: readonly OutcomeChange[]): UpstreamCountDelta[] {
  const deltas = new Map<string, UpstreamCountDelta['delta']>();
  for (const { taskId, from, to } of changes) {
    const before = countOf(from);
    const after = countOf(to);
    if (before === after) continue;
    for (const d of structure.tasks.get(taskId)?.downstream ?? []) {
      const delta = deltas.get(d) ?? {};
      deltas.set(d, delta);
      if (before) {
        delta[before] = (delta[before] ?? 0) - 1;
        delta.done = (delta.done ?? 0) - 1;
      }
      if (after) {
        delta[after] = (delta[after] ?? 0) + 1;
        delta.done = (delta.done ?? 0) + 1;
      }
    }
  }
  return [...deltas].map(([taskId, delta]) => ({ taskId, delta }));
}

/** Records changes of outcome made from outside a finish (clear, mark, a run failed, integrity): their downstream counts move in one statement. */
export async function recordOutcomeChanges(
  store: Store,
  structure: DagStructure,
  dagId: string,
  runId: string,
  changes: readonly OutcomeChange[],
): Promise<void> {
  await store.upstream.add(dagId, runId, countDeltas(structure, changes));
}

/** The counts of every task of the run from a full read of its tries (an upstream task without a try counts nothing). */
export function countAll(
  structure: DagStructure,
  states: ReadonlyMap<string, TaskInstance>,
): Array<{ taskId: string; counts: UpstreamCounts }> {
  return structure.spec.tasks.map((t) => {
    const counts = countUpstream(
      t.upstream.flatMap((id) => {
        const s = states.get(id)?.state;
        return s ? [s] : [];
      }),
    );
    return { taskId: t.taskId, counts: { ...counts, total: t.upstream.length } };
  });
}

const MOVING = ['success', 'skipped', 'failed', 'upstream_failed', 'removed', 'done'] as const;

/**
 * The scheduler's safety net for the counts: compares the stored counts of
 * the run with a full read of its tries (both as of one moment) and moves
 * each stored row by the difference — a run older than the counts, a finish
 * counted by a worker that ran an older version of the DAG, a task added to
 * the DAG mid-run. Differences are applied as deltas, so finishes committed
 * meanwhile stay counted. Returns the run's current tries as read.
 */
export async function repairCounts(
  store: Store,
  structure: DagStructure,
  dagId: string,
  runId: string,
): Promise<Map<string, TaskInstance>> {
  const { counts, tries } = await store.upstream.snapshot(dagId, runId);
  const latest = new Map<string, TaskInstance>();
  for (const ti of tries) latest.set(ti.taskId, ti);
  const missing: Array<{ taskId: string; counts: UpstreamCounts }> = [];
  const totals: Array<{ taskId: string; total: number }> = [];
  const deltas: UpstreamCountDelta[] = [];
  for (const { taskId, counts: want } of countAll(structure, latest)) {
    const have = counts.get(taskId);
    if (!have) {
      missing.push({ taskId, counts: want });
      continue;
    }
    if (have.total !== want.total) totals.push({ taskId, total: want.total });
    const delta: UpstreamCountDelta['delta'] = {};
    for (const m of MOVING) if (want[m] !== have[m]) delta[m] = want[m] - have[m];
    if (Object.keys(delta).length > 0) deltas.push({ taskId, delta });
  }
  await store.upstream.createMissing(dagId, runId, missing);
  await store.upstream.setTotals(dagId, runId, totals);
  await store.upstream.add(dagId, runId, deltas);
  return latest;
}

export interface SettleInput {
  /** Outcomes that just changed (finishes, branch skips): their downstream counts move first. */
  changes: readonly OutcomeChange[];
  /** Tasks to decide besides the downstream of `changes`, their counts as stored. */
  decide?: readonly string[];
  queuedBy: string;
  at: Date;
}

/**
 * The hand-off, counted: adds the changes to their downstream counts (one
 * statement), then applies the trigger rules' plans to those tasks in SQL
 * (one statement: queued, skipped or upstream_failed, from `none` only); a
 * skip or upstream_failed decided so is itself an outcome change, so the
 * next level goes the same way, until nothing more is decided. Returns the
 * tries queued. Never reads an upstream try: a finish costs O(1) per
 * downstream edge, whatever the fan-in (ADR 13).
 */
export async function settleDownstream(
  store: Store,
  structure: DagStructure,
  dagId: string,
  runId: string,
  input: SettleInput,
): Promise<TaskInstance[]> {
  const queued: TaskInstance[] = [];
  let changes = input.changes;
  let extra = input.decide ?? [];
  while (changes.length > 0 || extra.length > 0) {
    const deltas = countDeltas(structure, changes);
    await store.upstream.add(dagId, runId, deltas);
    const targets = [...new Set([...deltas.map((d) => d.taskId), ...extra])].flatMap((id) => {
      const task = structure.tasks.get(id);
      return task ? [{ taskId: id, rule: task.triggerRule }] : [];
    });
    extra = [];
    if (targets.length === 0) break;
    const moved = await store.upstream.decide(dagId, runId, targets, plansFor(targets.map((t) => t.rule)), input.queuedBy, input.at);
    queued.push(...moved.filter((ti) => !FINISHED_TASK_STATES.has(ti.state)));
    changes = moved.filter((ti) => FINISHED_TASK_STATES.has(ti.state)).map((ti) => ({ taskId: ti.taskId, from: null, to: ti.state }));
  }
  return queued.sort((a, b) => (structure.position.get(a.taskId) ?? 0) - (structure.position.get(b.taskId) ?? 0));
}

/** The plans of these rules, once each. */
export function plansFor(rules: Iterable<TriggerRule>): TriggerRulePlan[] {
  return [...new Set(rules)].map(triggerRulePlan);
}
