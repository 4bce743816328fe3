import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countUpstream, evaluateTriggerRule, type TriggerDecision } from '../../engine/execution/trigger-rule-evaluator.ts';
import { TaskInstanceState as S, type TaskInstanceState } from '../../engine/models/states.ts';
import { TRIGGER_RULES, TriggerRule as R, type TriggerRule } from '../../engine/models/trigger-rule.ts';

const code: Record<string, TaskInstanceState> = {
  S: S.SUCCESS, F: S.FAILED, K: S.SKIPPED, U: S.UPSTREAM_FAILED, R: S.RUNNING, N: S.NONE, Q: S.QUEUED, Y: S.UP_FOR_RETRY,
};
const decide = (rule: TriggerRule, upstream: string): TriggerDecision =>
  evaluateTriggerRule(rule, countUpstream([...upstream].map((c) => code[c]!)));

// Hand-written from Airflow's documented semantics (docs: "Trigger Rules", and
// TriggerRuleDep): S success, F failed, K skipped, U upstream_failed, R running, N none, Y up_for_retry.
const TABLE: Array<[TriggerRule, string, TriggerDecision]> = [
  [R.ALL_SUCCESS, 'SS', 'run'], [R.ALL_SUCCESS, 'SR', 'wait'], [R.ALL_SUCCESS, 'FR', 'upstream_failed'],
  [R.ALL_SUCCESS, 'US', 'upstream_failed'], [R.ALL_SUCCESS, 'KS', 'skip'], [R.ALL_SUCCESS, 'KR', 'skip'],
  [R.ALL_SUCCESS, 'FK', 'upstream_failed'], [R.ALL_SUCCESS, 'YS', 'wait'],
  [R.ALL_FAILED, 'FF', 'run'], [R.ALL_FAILED, 'FU', 'run'], [R.ALL_FAILED, 'FR', 'wait'], [R.ALL_FAILED, 'SR', 'skip'], [R.ALL_FAILED, 'KF', 'skip'],
  [R.ALL_DONE, 'SF', 'run'], [R.ALL_DONE, 'KU', 'run'], [R.ALL_DONE, 'SR', 'wait'], [R.ALL_DONE, 'SY', 'wait'],
  [R.ALL_SKIPPED, 'KK', 'run'], [R.ALL_SKIPPED, 'KR', 'wait'], [R.ALL_SKIPPED, 'SK', 'skip'], [R.ALL_SKIPPED, 'FR', 'skip'], [R.ALL_SKIPPED, 'UK', 'skip'],
  [R.ONE_SUCCESS, 'SR', 'run'], [R.ONE_SUCCESS, 'FR', 'wait'], [R.ONE_SUCCESS, 'KK', 'skip'], [R.ONE_SUCCESS, 'FK', 'upstream_failed'],
  [R.ONE_SUCCESS, 'FF', 'upstream_failed'], [R.ONE_SUCCESS, 'UU', 'upstream_failed'],
  [R.ONE_FAILED, 'FR', 'run'], [R.ONE_FAILED, 'UR', 'run'], [R.ONE_FAILED, 'SR', 'wait'], [R.ONE_FAILED, 'SS', 'skip'], [R.ONE_FAILED, 'SK', 'skip'],
  [R.ONE_DONE, 'SR', 'run'], [R.ONE_DONE, 'FR', 'run'], [R.ONE_DONE, 'KR', 'wait'], [R.ONE_DONE, 'KK', 'skip'], [R.ONE_DONE, 'UK', 'skip'],
  [R.NONE_FAILED, 'SK', 'run'], [R.NONE_FAILED, 'KK', 'run'], [R.NONE_FAILED, 'SR', 'wait'], [R.NONE_FAILED, 'FR', 'upstream_failed'], [R.NONE_FAILED, 'US', 'upstream_failed'],
  [R.NONE_FAILED_MIN_ONE_SUCCESS, 'SK', 'run'], [R.NONE_FAILED_MIN_ONE_SUCCESS, 'KK', 'skip'],
  [R.NONE_FAILED_MIN_ONE_SUCCESS, 'FS', 'upstream_failed'], [R.NONE_FAILED_MIN_ONE_SUCCESS, 'KR', 'wait'],
  [R.NONE_SKIPPED, 'SF', 'run'], [R.NONE_SKIPPED, 'SU', 'run'], [R.NONE_SKIPPED, 'KR', 'skip'], [R.NONE_SKIPPED, 'SR', 'wait'],
  [R.ALWAYS, 'RN', 'run'], [R.ALWAYS, 'FF', 'run'], [R.ALWAYS, 'KU', 'run'],
];

describe('trigger rules: Airflow semantics, hand-written cases', () => {
  for (const [rule, upstream, expected] of TABLE) {
    it(`${rule} with upstream [${upstream}] -> ${expected}`, () => assert.equal(decide(rule, upstream), expected));
  }
  for (const rule of TRIGGER_RULES) {
    it(`${rule} with no upstream task runs`, () => assert.equal(decide(rule, ''), 'run'));
  }
});

/**
 * An independent statement of the rules, written as sets over the upstream
 * states ("all", "any", "none") the way Airflow's documentation phrases them.
 */
function oracle(rule: TriggerRule, states: TaskInstanceState[]): TriggerDecision {
  const done = (s: TaskInstanceState) => [S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED].includes(s as never);
  const all = (...ok: TaskInstanceState[]) => states.every((s) => ok.includes(s));
  const any = (...ok: TaskInstanceState[]) => states.some((s) => ok.includes(s));
  const allDone = states.every(done);
  const failedish = any(S.FAILED, S.UPSTREAM_FAILED);
  switch (rule) {
    case R.ALWAYS: return 'run';
    case R.ALL_SUCCESS: return failedish ? 'upstream_failed' : any(S.SKIPPED) ? 'skip' : all(S.SUCCESS) ? 'run' : 'wait';
    case R.ALL_FAILED: return any(S.SUCCESS, S.SKIPPED) ? 'skip' : all(S.FAILED, S.UPSTREAM_FAILED) ? 'run' : 'wait';
    case R.ALL_DONE: return allDone ? 'run' : 'wait';
    case R.ALL_SKIPPED: return any(S.SUCCESS, S.FAILED, S.UPSTREAM_FAILED) ? 'skip' : all(S.SKIPPED) ? 'run' : 'wait';
    case R.ONE_SUCCESS: return any(S.SUCCESS) ? 'run' : !allDone ? 'wait' : all(S.SKIPPED) ? 'skip' : 'upstream_failed';
    case R.ONE_FAILED: return failedish ? 'run' : allDone ? 'skip' : 'wait';
    case R.ONE_DONE: return any(S.SUCCESS, S.FAILED) ? 'run' : allDone ? 'skip' : 'wait';
    case R.NONE_FAILED: return failedish ? 'upstream_failed' : all(S.SUCCESS, S.SKIPPED) ? 'run' : 'wait';
    case R.NONE_FAILED_MIN_ONE_SUCCESS:
      return failedish ? 'upstream_failed' : all(S.SKIPPED) ? 'skip' : all(S.SUCCESS, S.SKIPPED) ? 'run' : 'wait';
    case R.NONE_SKIPPED: return any(S.SKIPPED) ? 'skip' : allDone ? 'run' : 'wait';
  }
}

describe('trigger rules: every rule x every combination of 1-3 upstream states', () => {
  const STATES = [S.NONE, S.SCHEDULED, S.QUEUED, S.RUNNING, S.UP_FOR_RETRY, S.SUCCESS, S.FAILED, S.SKIPPED, S.UPSTREAM_FAILED];
  const combos: TaskInstanceState[][] = [];
  const grow = (prefix: TaskInstanceState[], from: number): void => {
    if (prefix.length > 0) combos.push(prefix);
    if (prefix.length === 3) return;
    for (let i = from; i < STATES.length; i++) grow([...prefix, STATES[i]!], i);
  };
  grow([], 0);
  for (const rule of TRIGGER_RULES) {
    it(`${rule}: ${combos.length} combinations agree with the documented semantics`, () => {
      for (const states of combos) {
        assert.equal(evaluateTriggerRule(rule, countUpstream(states)), oracle(rule, states), `${rule} [${states.join(', ')}]`);
      }
    });
  }
});
