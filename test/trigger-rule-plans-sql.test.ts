import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { countUpstream, evaluateTriggerRule } from '../engine/execution/trigger-rule-evaluator.ts';
import { plansFor } from '../engine/execution/upstream-counting.ts';
import { TRIGGER_RULES, type TriggerRule } from '../engine/models/trigger-rule.ts';
import type { TriggerDecision } from '../engine/models/trigger-rule-plan.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { tempDir } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase, type ThrowawayDatabase } from './helpers/postgres.ts';
import { STATE_COMBOS, statesOf, TABLE } from './fixtures/trigger-rule-cases.ts';

// Every row of the trigger-rule table, both ways (ADR 6, ADR 13): the one evaluator in TypeScript on the counts
// (test/unit/trigger-rules.test.ts) and its plan compiled to SQL and applied by the store to stored counts, on
// SQLite and on PostgreSQL. They must agree, so the SQL never becomes a second evaluator.

const available = await postgresAnswers();
if (!available && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

const DECISION_OF_STATE: Record<string, TriggerDecision> = {
  queued: 'run',
  skipped: 'skip',
  upstream_failed: 'upstream_failed',
  none: 'wait',
};

interface Case {
  rule: TriggerRule;
  states: ReturnType<typeof statesOf>;
  expected: TriggerDecision;
}

const cases: Case[] = [
  ...TABLE.map(([rule, upstream, expected]) => ({ rule, states: statesOf(upstream), expected })),
  ...TRIGGER_RULES.map((rule) => ({ rule, states: [], expected: 'run' as const })),
  ...TRIGGER_RULES.flatMap((rule) =>
    STATE_COMBOS.map((states) => ({ rule, states, expected: evaluateTriggerRule(rule, countUpstream(states)) })),
  ),
];

/** Each case as one task (in `none`, its counts stored) of one run; the store applies the plans to all of them at once. */
async function decideBySql(store: Store, runId: string): Promise<TriggerDecision[]> {
  const spec = {
    dagId: 'plans',
    description: '',
    tags: [],
    schedule: null,
    startDate: null,
    endDate: null,
    catchup: false,
    maxActiveRuns: 1,
    dagrunTimeoutMs: null,
    params: {},
    owners: ['t'],
    tasks: [],
  };
  const day = new Date('2026-01-01T00:00:00Z');
  await store.runs.create(
    spec,
    { runId, runType: 'manual', logicalDate: day, dataInterval: { start: day, end: day }, conf: {}, state: 'running' },
    new Date(),
  );
  const taskId = (i: number): string => `c${i}`;
  await store.tasks.createFirstTries(
    'plans',
    runId,
    cases.map((c, i) => ({
      taskId: taskId(i),
      operator: 'empty',
      owner: 't',
      queue: 'default',
      retries: 0,
      retryDelayMs: 0,
      retryExponentialBackoff: false,
      maxRetryDelayMs: null,
      executionTimeoutMs: null,
      doc: null,
      upstream: c.states.map((_, u) => `u${u}`),
      downstream: [],
      triggerRule: c.rule,
    })),
    new Date(),
  );
  await store.upstream.add(
    'plans',
    runId,
    cases.map((c, i) => {
      const { total: _total, ...delta } = countUpstream(c.states);
      return { taskId: taskId(i), delta };
    }),
  );
  await store.upstream.decide(
    'plans',
    runId,
    cases.map((c, i) => ({ taskId: taskId(i), rule: c.rule })),
    plansFor(TRIGGER_RULES),
    'test',
    new Date(),
  );
  const latest = await store.tasks.latestTries('plans', runId);
  return cases.map((_, i) => DECISION_OF_STATE[latest.get(taskId(i))!.state]!);
}

function assertAgree(decided: readonly TriggerDecision[], where: string): void {
  cases.forEach((c, i) => {
    assert.equal(evaluateTriggerRule(c.rule, countUpstream(c.states)), c.expected, `TypeScript: ${c.rule} [${c.states.join(', ')}]`);
    assert.equal(decided[i], c.expected, `${where}: ${c.rule} [${c.states.join(', ')}]`);
  });
}

describe(`trigger rules as plans applied by SQL: ${cases.length} cases agree with the evaluator`, () => {
  it('SQLite', async () => {
    const store = await openStoreWithPlugins({ home: tempDir() });
    try {
      assertAgree(await decideBySql(store, 'sqlite'), 'SQLite');
    } finally {
      await store.close();
    }
  });

  describe('PostgreSQL', { skip: available ? false : `no PostgreSQL answers at ${ADMIN_URL}` }, () => {
    let database: ThrowawayDatabase | undefined;
    let store: Store | undefined;
    before(async () => {
      database = await throwawayDatabase();
      store = await openStoreWithPlugins({ home: tempDir(), url: database.url });
    });
    after(async () => {
      await store?.close();
      await database?.drop();
    });
    it('PostgreSQL', async () => assertAgree(await decideBySql(store!, 'postgres'), 'PostgreSQL'));
  });
});
