import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countUpstream, evaluateTriggerRule, type TriggerDecision } from '../../engine/execution/trigger-rule-evaluator.ts';
import { TRIGGER_RULES, type TriggerRule } from '../../engine/models/trigger-rule.ts';
import { oracle, STATE_COMBOS, statesOf, TABLE } from '../fixtures/trigger-rule-cases.ts';

const decide = (rule: TriggerRule, upstream: string): TriggerDecision => evaluateTriggerRule(rule, countUpstream(statesOf(upstream)));

describe('trigger rules: Airflow semantics, hand-written cases', () => {
  for (const [rule, upstream, expected] of TABLE) {
    it(`${rule} with upstream [${upstream}] -> ${expected}`, () => assert.equal(decide(rule, upstream), expected));
  }
  for (const rule of TRIGGER_RULES) {
    it(`${rule} with no upstream task runs`, () => assert.equal(decide(rule, ''), 'run'));
  }
});

describe('trigger rules: every rule x every combination of 1-3 upstream states', () => {
  const combos = STATE_COMBOS;
  for (const rule of TRIGGER_RULES) {
    it(`${rule}: ${combos.length} combinations agree with the documented semantics`, () => {
      for (const states of combos) {
        assert.equal(evaluateTriggerRule(rule, countUpstream(states)), oracle(rule, states), `${rule} [${states.join(', ')}]`);
      }
    });
  }
});
