import { TaskInstanceState } from '../models/states.ts';
import { TriggerRule } from '../models/trigger-rule.ts';
import type {
  CountComparison,
  PlanStep,
  TriggerDecision,
  TriggerRulePlan,
  UpstreamCountName,
  UpstreamCounts,
} from '../models/trigger-rule-plan.ts';

export type { TriggerDecision, UpstreamCounts } from '../models/trigger-rule-plan.ts';

/** The count an upstream task's state adds to (null: not done — unfinished, or no outcome yet). */
export function countOf(
  state: TaskInstanceState | null | undefined,
): Exclude<UpstreamCountName, 'total' | 'done' | 'success_setup' | 'skipped_setup'> | null {
  switch (state) {
    case TaskInstanceState.SUCCESS:
      return 'success';
    case TaskInstanceState.SKIPPED:
      return 'skipped';
    case TaskInstanceState.FAILED:
      return 'failed';
    case TaskInstanceState.UPSTREAM_FAILED:
      return 'upstream_failed';
    case TaskInstanceState.REMOVED:
      return 'removed';
    default:
      return null;
  }
}

export const noCounts = (total: number): UpstreamCounts => ({
  total,
  success: 0,
  skipped: 0,
  failed: 0,
  upstream_failed: 0,
  removed: 0,
  done: 0,
  success_setup: 0,
  skipped_setup: 0,
});

/** Counts of these upstream states (a full read; the stored counts must always equal it). */
export function countUpstream(states: readonly TaskInstanceState[]): UpstreamCounts {
  const c = noCounts(states.length);
  for (const s of states) {
    const name = countOf(s);
    if (name) {
      c[name]++;
      c.done++;
    }
  }
  return c;
}

const cmp = (terms: CountComparison['terms'], op: CountComparison['op'], value: number): CountComparison => ({ terms, op, value });
const step = (decision: PlanStep['decision'], ...when: CountComparison[]): PlanStep => ({ decision, when });
const anyFailed = cmp({ failed: 1, upstream_failed: 1 }, '>', 0);
const upstreamDone = cmp({ done: 1, total: -1 }, '>=', 0);
/** At least `total` upstreams in the named counts. */
const allIn = (...names: UpstreamCountName[]): CountComparison =>
  cmp({ ...Object.fromEntries(names.map((n) => [n, 1])), total: -1 }, '>=', 0);

/**
 * The one trigger-rule evaluator, as data: each rule's plan, mirroring
 * Airflow's `TriggerRuleDep` (with `flag_upstream_failed=True`): first the
 * steps that decide a terminal state early, possibly before every upstream
 * is done (e.g. `all_success` turns `upstream_failed` as soon as one
 * upstream fails); then whether the rule is met (`run`); else `wait`. A task
 * without upstream always runs.
 */
const PLANS: Record<TriggerRule, readonly PlanStep[]> = {
  [TriggerRule.ALL_SUCCESS]: [step('upstream_failed', anyFailed), step('skip', cmp({ skipped: 1 }, '>', 0)), step('run', allIn('success'))],
  [TriggerRule.ALL_FAILED]: [step('skip', cmp({ success: 1, skipped: 1 }, '>', 0)), step('run', allIn('failed', 'upstream_failed'))],
  [TriggerRule.ALL_DONE]: [step('run', upstreamDone)],
  [TriggerRule.ALL_SKIPPED]: [step('skip', cmp({ success: 1, failed: 1, upstream_failed: 1 }, '>', 0)), step('run', allIn('skipped'))],
  [TriggerRule.ONE_SUCCESS]: [
    step('run', cmp({ success: 1 }, '>', 0)),
    step('skip', upstreamDone, cmp({ done: 1, skipped: -1 }, '=', 0)),
    step('upstream_failed', upstreamDone),
  ],
  [TriggerRule.ONE_FAILED]: [step('run', anyFailed), step('skip', upstreamDone)],
  [TriggerRule.ONE_DONE]: [step('run', cmp({ success: 1, failed: 1 }, '>', 0)), step('skip', upstreamDone)],
  [TriggerRule.NONE_FAILED]: [step('upstream_failed', anyFailed), step('run', allIn('success', 'skipped'))],
  [TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS]: [
    step('upstream_failed', anyFailed),
    step('skip', cmp({ skipped: 1, total: -1 }, '=', 0)),
    step('run', allIn('success', 'skipped')),
  ],
  [TriggerRule.NONE_SKIPPED]: [step('skip', cmp({ skipped: 1 }, '>', 0)), step('run', upstreamDone)],
  [TriggerRule.ALWAYS]: [step('run')],
};

/** The plan of `rule`: what the store's SQL applies on the stored counts. */
export function triggerRulePlan(rule: TriggerRule): TriggerRulePlan {
  return { rule, steps: [step('run', cmp({ total: 1 }, '=', 0)), ...PLANS[rule]] };
}

function holds(c: CountComparison, counts: UpstreamCounts): boolean {
  let sum = 0;
  for (const [name, coefficient] of Object.entries(c.terms) as Array<[UpstreamCountName, number]>) sum += coefficient * counts[name];
  return c.op === '>' ? sum > c.value : c.op === '>=' ? sum >= c.value : sum === c.value;
}

/** A plan evaluated on counts: the first step whose condition holds, else `wait`. */
export function evaluatePlan(plan: TriggerRulePlan, counts: UpstreamCounts): TriggerDecision {
  return plan.steps.find((s) => s.when.every((c) => holds(c, counts)))?.decision ?? 'wait';
}

/** The one trigger-rule evaluator, shared by workers, the scheduler and `dags test`: the rule's plan on the counts. */
export function evaluateTriggerRule(rule: TriggerRule, counts: UpstreamCounts): TriggerDecision {
  return evaluatePlan(triggerRulePlan(rule), counts);
}
