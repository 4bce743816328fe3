import type { TriggerRule } from './trigger-rule.ts';

/**
 * Counts of a task instance's direct upstream outcomes, with Airflow's names
 * (`_UpstreamTIStates`), as stored per task instance (engine/store/schema.ts,
 * `task_instance_upstream`). `total` is the number of direct upstream tasks
 * expected; `done` = success + skipped + failed + upstream_failed + removed.
 * The setup counts stay 0 until setup/teardown tasks exist.
 */
export interface UpstreamCounts {
  total: number;
  success: number;
  skipped: number;
  failed: number;
  upstream_failed: number;
  removed: number;
  done: number;
  success_setup: number;
  skipped_setup: number;
}

export type UpstreamCountName = keyof UpstreamCounts;
export const UPSTREAM_COUNT_NAMES: readonly UpstreamCountName[] = [
  'total',
  'success',
  'skipped',
  'failed',
  'upstream_failed',
  'removed',
  'done',
  'success_setup',
  'skipped_setup',
];

/** What the trigger rule makes of a task whose try is in state `none`. */
export type TriggerDecision = 'run' | 'skip' | 'upstream_failed' | 'wait';

/** `Σ coefficient × count  op  value`, e.g. `failed + upstream_failed > 0` or `success − total ≥ 0`. */
export interface CountComparison {
  terms: Partial<Record<UpstreamCountName, number>>;
  op: '>' | '>=' | '=';
  value: number;
}

/** A step of a plan: `decision` when every comparison holds (an empty list always holds). */
export interface PlanStep {
  decision: Exclude<TriggerDecision, 'wait'>;
  when: readonly CountComparison[];
}

/**
 * A trigger rule as data: the first step whose condition holds on the
 * counts decides; none: `wait`. Emitted by the one evaluator
 * (engine/execution/trigger-rule-evaluator.ts), which also evaluates it in
 * TypeScript; the store compiles it to SQL (engine/store/upstream-counts.ts).
 */
export interface TriggerRulePlan {
  rule: TriggerRule;
  steps: readonly PlanStep[];
}

/** One task's change of counts: each named count moves by its number (negative: an outcome withdrawn). */
export interface UpstreamCountDelta {
  taskId: string;
  delta: Partial<Record<UpstreamCountName, number>>;
}
