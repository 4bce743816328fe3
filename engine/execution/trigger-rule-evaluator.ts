import { TaskInstanceState } from '../models/states.ts';
import { TriggerRule } from '../models/trigger-rule.ts';

/** What the scheduler does with a task whose try is in state `none`. */
export type TriggerDecision = 'run' | 'skip' | 'upstream_failed' | 'wait';

/** Counts of the direct upstream tasks' current states. */
export interface UpstreamCounts {
  total: number;
  success: number;
  skipped: number;
  failed: number;
  upstreamFailed: number;
  removed: number;
  /** success + skipped + failed + upstream_failed + removed */
  done: number;
}

export function countUpstream(states: readonly TaskInstanceState[]): UpstreamCounts {
  const c: UpstreamCounts = { total: states.length, success: 0, skipped: 0, failed: 0, upstreamFailed: 0, removed: 0, done: 0 };
  for (const s of states) {
    if (s === TaskInstanceState.SUCCESS) c.success++;
    else if (s === TaskInstanceState.SKIPPED) c.skipped++;
    else if (s === TaskInstanceState.FAILED) c.failed++;
    else if (s === TaskInstanceState.UPSTREAM_FAILED) c.upstreamFailed++;
    else if (s === TaskInstanceState.REMOVED) c.removed++;
  }
  c.done = c.success + c.skipped + c.failed + c.upstreamFailed + c.removed;
  return c;
}

/**
 * The one trigger-rule evaluator, shared by the scheduler and `dags test`.
 *
 * Mirrors Airflow's `TriggerRuleDep` (with `flag_upstream_failed=True`): first
 * the rules that decide a terminal state early, possibly before every upstream
 * is done (e.g. `all_success` turns `upstream_failed` as soon as one upstream
 * fails); then whether the rule is met (`run`) or must `wait`.
 */
export function evaluateTriggerRule(rule: TriggerRule, c: UpstreamCounts): TriggerDecision {
  if (c.total === 0 || rule === TriggerRule.ALWAYS) return 'run';
  const upstreamDone = c.done >= c.total;
  const anyFailed = c.failed + c.upstreamFailed > 0;

  switch (rule) {
    case TriggerRule.ALL_SUCCESS:
      if (anyFailed) return 'upstream_failed';
      if (c.skipped > 0) return 'skip';
      return c.total - c.success > 0 ? 'wait' : 'run';
    case TriggerRule.ALL_FAILED:
      if (c.success + c.skipped > 0) return 'skip';
      return c.total - c.failed - c.upstreamFailed > 0 ? 'wait' : 'run';
    case TriggerRule.ALL_DONE:
      return upstreamDone ? 'run' : 'wait';
    case TriggerRule.ALL_SKIPPED:
      if (c.success + c.failed + c.upstreamFailed > 0) return 'skip';
      return c.total - c.skipped > 0 ? 'wait' : 'run';
    case TriggerRule.ONE_SUCCESS:
      if (c.success > 0) return 'run';
      if (upstreamDone && c.done === c.skipped) return 'skip';
      if (upstreamDone) return 'upstream_failed';
      return 'wait';
    case TriggerRule.ONE_FAILED:
      if (anyFailed) return 'run';
      return upstreamDone ? 'skip' : 'wait';
    case TriggerRule.ONE_DONE:
      if (c.success + c.failed > 0) return 'run';
      return upstreamDone ? 'skip' : 'wait';
    case TriggerRule.NONE_FAILED:
      if (anyFailed) return 'upstream_failed';
      return c.total - c.success - c.skipped > 0 ? 'wait' : 'run';
    case TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS:
      if (anyFailed) return 'upstream_failed';
      if (c.skipped === c.total) return 'skip';
      return c.total - c.success - c.skipped > 0 ? 'wait' : 'run';
    case TriggerRule.NONE_SKIPPED:
      if (c.skipped > 0) return 'skip';
      return upstreamDone ? 'run' : 'wait';
  }
}
