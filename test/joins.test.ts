import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advanceDagRun } from '../engine/execution/dag-run-evaluator.ts';
import { tryLifecycleOf } from '../engine/execution/try-lifecycle.ts';
import { settleTry } from '../engine/execution/try-outcome.ts';
import { DagStructure, type DagSpec, type TaskSpec } from '../engine/models/dag-spec.ts';
import type { TaskInstanceKey } from '../engine/models/task-instance-key.ts';
import { TriggerRule } from '../engine/models/trigger-rule.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { tempDir } from './helpers/cli.ts';

// Joins at any fan-in (issue 25, ADR 13): a 3,000-task fan-in and 30 stages of 100 joined by barriers run to the end
// through the try lifecycle (as workers do, 50 finishes at a time), with the outcomes Airflow gives.

const task = (taskId: string, triggerRule: TriggerRule = TriggerRule.ALL_SUCCESS): TaskSpec => ({
  taskId,
  operator: 'empty',
  owner: 't',
  queue: 'default',
  retries: 0,
  retryDelayMs: 0,
  retryExponentialBackoff: false,
  maxRetryDelayMs: null,
  executionTimeoutMs: null,
  doc: null,
  upstream: [],
  downstream: [],
  triggerRule,
});
const link = (up: TaskSpec, down: TaskSpec): void => {
  up.downstream.push(down.taskId);
  down.upstream.push(up.taskId);
};
const dagOf = (dagId: string, tasks: TaskSpec[]): DagSpec => ({
  dagId,
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
  tasks,
});

/** Runs the DAG to its end: every queued try starts and finishes (`fails` fail), 50 at a time; returns each task's final state. */
async function runToEnd(
  store: Store,
  spec: DagSpec,
  fails: ReadonlySet<string>,
): Promise<{ states: Map<string, string>; run: string | undefined }> {
  const structure = new DagStructure(spec);
  await store.dags.upsert(spec, { fileloc: `/dags/${spec.dagId}.ts`, relativeFileloc: null }, 'f', new Date().toISOString());
  const day = new Date('2026-05-01T00:00:00Z');
  const run = (await store.runs.create(
    spec,
    { runId: 'r', runType: 'manual', logicalDate: day, dataInterval: { start: day, end: day }, conf: {}, state: 'running' },
    new Date(),
  ))!;
  const owner = { hostname: 'h', workerId: 'w' };
  const queue: TaskInstanceKey[] = (await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'test' })))
    .queued;
  while (queue.length > 0) {
    const group = queue.splice(0, 50);
    const finished = await Promise.all(
      group.map(async (key) => {
        const ti = (await tryLifecycleOf(store).tryStarted(key, owner, new Date()))!;
        const result = fails.has(ti.taskId)
          ? { kind: 'failed' as const, error: 'Error: boom', retryable: false }
          : { kind: 'success' as const, value: null };
        return tryLifecycleOf(store).finishTry(
          ti,
          run,
          settleTry(ti, result, run.logicalDate),
          { structure, queuedBy: 'worker w' },
          new Date(),
        );
      }),
    );
    queue.push(...finished.flatMap((f) => f.queued));
  }
  const end = await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'test' }));
  const states = new Map([...(await store.tasks.latestTries(spec.dagId, 'r'))].map(([id, ti]) => [id, ti.state as string]));
  return { states, run: end.finished ?? (await store.runs.get(spec.dagId, 'r'))?.state };
}

describe('joins at any fan-in', () => {
  it('one root -> 3,000 -> joins: one upstream failed makes the all_success join upstream_failed; the all_done join runs', async () => {
    const store = await openStoreWithPlugins({ home: tempDir() });
    try {
      const root = task('root');
      const join = task('join');
      const allDone = task('all_done_join', TriggerRule.ALL_DONE);
      const middle = Array.from({ length: 3000 }, (_, i) => task(`t${i}`));
      for (const t of middle) {
        link(root, t);
        link(t, join);
        link(t, allDone);
      }
      const { states, run } = await runToEnd(store, dagOf('fan_in_3000', [root, ...middle, join, allDone]), new Set(['t1234']));
      assert.equal(states.get('t1234'), 'failed');
      assert.equal(middle.filter((t) => states.get(t.taskId) === 'success').length, 2999);
      assert.equal(states.get('join'), 'upstream_failed');
      assert.equal(states.get('all_done_join'), 'success');
      assert.equal(run, 'failed', 'a leaf is upstream_failed');
      const counts = (await store.upstream.ofRun('fan_in_3000', 'r')).get('join')!;
      assert.deepEqual([counts.total, counts.success, counts.failed, counts.done], [3000, 2999, 1, 3000]);
    } finally {
      await store.close();
    }
  });

  it('30 stages of 100 joined by barriers run to success, each barrier after its whole stage', async () => {
    const store = await openStoreWithPlugins({ home: tempDir() });
    try {
      const tasks: TaskSpec[] = [task('start')];
      let barrier = tasks[0]!;
      for (let s = 0; s < 30; s++) {
        const next = task(`barrier_${s}`);
        for (let i = 0; i < 99; i++) {
          const t = task(`s${s}_${i}`);
          link(barrier, t);
          link(t, next);
          tasks.push(t);
        }
        tasks.push(next);
        barrier = next;
      }
      const { states, run } = await runToEnd(store, dagOf('stages_30x100', tasks), new Set());
      assert.deepEqual([...new Set(states.values())], ['success']);
      assert.equal(states.size, 3001);
      assert.equal(run, 'success');
      const tries = await store.tasks.allTries('stages_30x100', 'r');
      const end = new Map(tries.map((t) => [t.taskId, t.endDate!]));
      for (const t of tries.filter((x) => x.taskId.startsWith('barrier_'))) {
        const s = t.taskId.slice('barrier_'.length);
        const lastOfStage = tries
          .filter((x) => x.taskId.startsWith(`s${s}_`))
          .map((x) => end.get(x.taskId)!)
          .sort()
          .at(-1)!;
        assert.ok(t.startDate! >= lastOfStage, `${t.taskId} starts after its stage ends`);
      }
    } finally {
      await store.close();
    }
  });
});
