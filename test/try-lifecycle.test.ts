import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advanceDagRun } from '../engine/execution/dag-run-evaluator.ts';
import { DagStructure, type DagSpec, type TaskSpec } from '../engine/models/dag-spec.ts';
import { TriggerRule } from '../engine/models/trigger-rule.ts';
import type { DagRun } from '../engine/store/dag-run-repository.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { tryLifecycleOf } from '../engine/execution/try-lifecycle.ts';
import { settleTry } from '../engine/execution/try-outcome.ts';
import { tempDir } from './helpers/cli.ts';

const task = (taskId: string, upstream: string[], downstream: string[], extra: Partial<TaskSpec> = {}): TaskSpec => ({
  taskId,
  operator: 'empty',
  owner: 't',
  triggerRule: TriggerRule.ALL_SUCCESS,
  queue: 'default',
  retries: 0,
  retryDelayMs: 0,
  retryExponentialBackoff: false,
  maxRetryDelayMs: null,
  executionTimeoutMs: null,
  upstream,
  downstream,
  doc: null,
  ...extra,
});

/** root → [a, b] → join(all_success); root retries twice, 60 s apart. */
const spec: DagSpec = {
  dagId: 'lifecycle',
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
  tasks: [
    task('root', [], ['a', 'b'], { retries: 2, retryDelayMs: 60_000 }),
    task('a', ['root'], ['join']),
    task('b', ['root'], ['join']),
    task('join', ['a', 'b'], []),
  ],
};
const owner = { hostname: 'h', workerId: 'w1' };

async function openRun(): Promise<{ store: Store; run: DagRun; structure: DagStructure }> {
  const store = await openStoreWithPlugins({ home: tempDir() });
  await store.dags.upsert(spec, { fileloc: '/dags/lifecycle.ts', relativeFileloc: null }, 'f', new Date().toISOString());
  const run = (await store.runs.create(
    spec,
    {
      runId: 'r1',
      runType: 'manual',
      logicalDate: new Date('2026-06-01T00:00:00Z'),
      dataInterval: { start: new Date('2026-06-01T00:00:00Z'), end: new Date('2026-06-01T00:00:00Z') },
      conf: {},
      state: 'running',
    },
    new Date(),
  ))!;
  return { store, run, structure: new DagStructure(spec) };
}

describe('the try lifecycle in the store', () => {
  it('starts asked for in one turn share one statement; a duplicate start of the same try gets nothing', async () => {
    const { store, run, structure } = await openRun();
    try {
      await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'test' }));
      const root = (await store.tasks.latestTries('lifecycle', 'r1')).get('root')!;
      const started = await Promise.all([
        tryLifecycleOf(store).tryStarted(root, owner, new Date()),
        tryLifecycleOf(store).tryStarted(root, owner, new Date()),
      ]);
      assert.equal(started.filter(Boolean).length, 1, 'one of two identical starts wins');
      assert.equal(started.find(Boolean)!.state, 'running');

      const finished = await tryLifecycleOf(store).finishTry(
        started.find(Boolean)!,
        run,
        settleTry(started.find(Boolean)!, { kind: 'success', value: 7 }, run.logicalDate),
        { structure, queuedBy: 'worker w1' },
        new Date(),
      );
      assert.deepEqual(finished.queued.map((t) => [t.taskId, t.state, t.queuedBy]).sort(), [
        ['a', 'queued', 'worker w1'],
        ['b', 'queued', 'worker w1'],
      ]);
      const before = store.counts.statements;
      const both = await Promise.all(finished.queued.map((ti) => tryLifecycleOf(store).tryStarted(ti, owner, new Date())));
      assert.deepEqual(
        both.map((t) => t?.state),
        ['running', 'running'],
      );
      // One UPDATE ... RETURNING for both, committing on its own (no BEGIN / COMMIT around it).
      assert.equal(store.counts.statements - before, 1);
    } finally {
      await store.close();
    }
  });

  it('a failure is settled from the policy on the try row: retried after its delay, then failed; a lost try says why in its log', async () => {
    const { store, run, structure } = await openRun();
    try {
      await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'test' }));
      const queued = (await store.tasks.latestTries('lifecycle', 'r1')).get('root')!;
      assert.deepEqual(
        queued.retryPolicy,
        { retryDelayMs: 60_000, retryExponentialBackoff: false, maxRetryDelayMs: null },
        'the policy travels on the row',
      );
      let ti = (await tryLifecycleOf(store).tryStarted(queued, owner, new Date()))!;
      const first = await tryLifecycleOf(store).failLostTry(
        ti,
        run,
        "task's worker w0 was lost",
        { structure, queuedBy: 'scheduler s' },
        new Date(),
      );
      assert.deepEqual([first.recorded, first.state, first.retryDelayMs], [true, 'up_for_retry', 60_000]);
      assert.match(await store.logs.read(ti), /ERROR - task's worker w0 was lost\n.*Marking task as UP_FOR_RETRY/);

      ti = (await tryLifecycleOf(store).tryStarted({ ...ti, tryNumber: 2 }, owner, new Date()))!;
      assert.equal(ti.tryNumber, 2, 'the retry opens its row from the up_for_retry try');
      const noRetry = settleTry(ti, { kind: 'failed', error: 'FailWithoutRetryError: bad data', retryable: false }, run.logicalDate);
      const second = await tryLifecycleOf(store).finishTry(ti, run, noRetry, { structure, queuedBy: 'worker w1' }, new Date());
      assert.equal(second.state, 'failed', 'a non-retryable error fails with tries left');
      const states = Object.fromEntries([...(await store.tasks.latestTries('lifecycle', 'r1'))].map(([id, t]) => [id, t.state]));
      assert.deepEqual(
        states,
        { root: 'failed', a: 'upstream_failed', b: 'upstream_failed', join: 'upstream_failed' },
        'upstream_failed propagates in the same transaction',
      );
      assert.equal(
        (await tryLifecycleOf(store).finishTry(ti, run, noRetry, { structure, queuedBy: 'worker w1' }, new Date())).recorded,
        false,
        'a second finish loses the compare-and-set',
      );
    } finally {
      await store.close();
    }
  });
});
