import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { advanceDagRun, undecidedTasks } from '../engine/execution/dag-run-evaluator.ts';
import { tryLifecycleOf } from '../engine/execution/try-lifecycle.ts';
import { settleTry, type TryResult } from '../engine/execution/try-outcome.ts';
import { countAll } from '../engine/execution/upstream-counting.ts';
import { DagStructure, type DagSpec, type TaskSpec } from '../engine/models/dag-spec.ts';
import { FINISHED_TASK_STATES } from '../engine/models/states.ts';
import type { TaskInstanceKey } from '../engine/models/task-instance-key.ts';
import { TRIGGER_RULES, TriggerRule } from '../engine/models/trigger-rule.ts';
import { clearTaskInstances } from '../engine/operations/clear-task-instances.ts';
import { applyStateChanges } from '../engine/operations/mark-tries.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { DagRun } from '../engine/store/dag-run-repository.ts';
import type { Store } from '../engine/store/store.ts';
import { rng } from '../ml/training/dataset.ts';
import { tempDir } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase, type ThrowawayDatabase } from './helpers/postgres.ts';

// Equivalence (ADR 13): the counting path — finishes adding to stored counts, the plans applied by SQL — against a
// full read of every upstream try, over random DAGs and outcomes with retries, branch skips, short-circuits, clears
// and marks. After every step the stored counts equal a full read's, and no task left in `none` is one the
// evaluator on a full read would decide.

// Clear and mark wake the scheduler through Redis: nothing answers here, so they say so and go on.
process.env.REDIS_URL = 'redis://127.0.0.1:9';
const available = await postgresAnswers();
if (!available && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

type Outcome = 'success' | 'failed' | 'retry' | 'skipped' | 'branch' | 'short_circuit';

function randomDag(seed: number): { spec: DagSpec; outcomes: Map<string, Outcome> } {
  const rnd = rng(seed);
  const n = 6 + Math.floor(rnd() * 10);
  const tasks: TaskSpec[] = [];
  for (let i = 0; i < n; i++) {
    const upstream =
      i === 0 ? [] : [...new Set(Array.from({ length: 1 + Math.floor(rnd() * Math.min(4, i)) }, () => `t${Math.floor(rnd() * i)}`))];
    tasks.push({
      taskId: `t${i}`,
      operator: 'empty',
      owner: 't',
      queue: 'default',
      retries: 1,
      retryDelayMs: 0,
      retryExponentialBackoff: false,
      maxRetryDelayMs: null,
      executionTimeoutMs: null,
      doc: null,
      upstream,
      downstream: [],
      triggerRule: rnd() < 0.4 ? TriggerRule.ALL_SUCCESS : TRIGGER_RULES[Math.floor(rnd() * TRIGGER_RULES.length)]!,
    });
  }
  for (const t of tasks) for (const u of t.upstream) tasks.find((x) => x.taskId === u)!.downstream.push(t.taskId);
  const kinds: Outcome[] = ['success', 'success', 'success', 'success', 'failed', 'retry', 'skipped', 'branch', 'short_circuit'];
  const spec: DagSpec = {
    dagId: `counts_${seed}`,
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
  };
  return { spec, outcomes: new Map(tasks.map((t) => [t.taskId, kinds[Math.floor(rnd() * kinds.length)]!])) };
}

function resultOf(outcome: Outcome, tryNumber: number, structure: DagStructure, taskId: string): TryResult {
  const downstream = structure.task(taskId).downstream;
  switch (outcome) {
    case 'success':
      return { kind: 'success', value: tryNumber };
    case 'failed':
      return { kind: 'failed', error: 'Error: boom', retryable: true };
    case 'retry':
      return tryNumber === 1 ? { kind: 'failed', error: 'Error: flaky', retryable: true } : { kind: 'success', value: 'second' };
    case 'skipped':
      return { kind: 'skipped' };
    case 'branch':
      return { kind: 'success', value: 'branched', skip: downstream.slice(0, 1) };
    case 'short_circuit':
      return { kind: 'success', value: false, skip: structure.descendantsOf(taskId) };
  }
}

async function assertEquivalent(store: Store, structure: DagStructure, run: DagRun, where: string): Promise<void> {
  const latest = await store.tasks.latestTries(run.dagId, run.runId);
  const stored = await store.upstream.ofRun(run.dagId, run.runId);
  for (const { taskId, counts } of countAll(structure, latest))
    assert.deepEqual(stored.get(taskId), counts, `${where}: counts of ${taskId}`);
  const ids = structure.spec.tasks.map((t) => t.taskId);
  assert.deepEqual(undecidedTasks(structure, ids, latest), [], `${where}: a full read decides what the counts left in none`);
}

/** Runs one random DAG to its end through the try lifecycle, with a clear and a mark on the way; checks after every step. */
async function walk(store: Store, seed: number): Promise<void> {
  const { spec, outcomes } = randomDag(seed);
  const rnd = rng(seed * 31 + 7);
  const structure = new DagStructure(spec);
  await store.dags.upsert(spec, { fileloc: `/dags/${spec.dagId}.ts`, relativeFileloc: null }, 'f', new Date().toISOString());
  const day = new Date('2026-03-01T00:00:00Z');
  const run = (await store.runs.create(
    spec,
    { runId: 'r', runType: 'manual', logicalDate: day, dataInterval: { start: day, end: day }, conf: {}, state: 'running' },
    new Date(),
  ))!;
  const dagRow = (await store.dags.get(spec.dagId))!;
  const owner = { hostname: 'h', workerId: 'w' };
  let queue: TaskInstanceKey[] = (await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'test' })))
    .queued;
  let interventions = 2;
  for (let step = 0; step < 200 && queue.length > 0; step++) {
    const group = queue.splice(0, 1 + Math.floor(rnd() * 3));
    const started = await Promise.all(group.map((k) => tryLifecycleOf(store).tryStarted(k, owner, new Date())));
    const finished = await Promise.all(
      started
        .filter((ti) => ti !== undefined)
        .map((ti) => {
          // A cleared task runs its second life as a success.
          const outcome = ti.tryNumber > 2 ? 'success' : outcomes.get(ti.taskId)!;
          const settled = settleTry(ti, resultOf(outcome, ti.tryNumber, structure, ti.taskId), run.logicalDate);
          return tryLifecycleOf(store)
            .finishTry(ti, run, settled, { structure, queuedBy: 'worker w' }, new Date())
            .then((f) => ({ ti, f }));
        }),
    );
    for (const { ti, f } of finished) {
      queue.push(...f.queued);
      if (f.state === 'up_for_retry') queue.push({ ...ti, tryNumber: ti.tryNumber + 1 });
    }
    await assertEquivalent(store, structure, run, `seed ${seed} step ${step}`);
    if (interventions > 0 && rnd() < 0.3) {
      interventions--;
      const latest = await store.tasks.latestTries(run.dagId, run.runId);
      const done = [...latest.values()].filter((ti) => FINISHED_TASK_STATES.has(ti.state));
      const target = done[Math.floor(rnd() * done.length)];
      if (target && rnd() < 0.5) {
        await clearTaskInstances(store, dagRow, run, { match: (id) => id === target.taskId, downstream: rnd() < 0.5 }, new Date());
        await store.runs.transition(run.dagId, run.runId, ['queued'], 'running', new Date());
      } else if (target) {
        await applyStateChanges(store, [{ ti: target, run, to: target.state === 'success' ? 'failed' : 'success' }], new Date());
      }
      // What the scheduler does when told: the full pass, deciding from the counts.
      queue.push(
        ...(await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'scheduler s', finish: false })))
          .queued,
      );
      await assertEquivalent(store, structure, run, `seed ${seed} step ${step}, after a ${target ? 'clear or mark' : 'no-op'}`);
    }
    const seen = new Set<string>();
    queue = queue.filter((k) => !seen.has(`${k.taskId}#${k.tryNumber}`) && seen.add(`${k.taskId}#${k.tryNumber}`));
  }
}

async function walkMany(store: Store, seeds: number): Promise<void> {
  for (let seed = 1; seed <= seeds; seed++) await walk(store, seed);
}

/** The scheduler's full pass repairs counts a worker could not keep: a run older than the counts, a finish counted against an older DAG. */
async function repairs(store: Store): Promise<void> {
  const { spec } = randomDag(3);
  const join: DagSpec = {
    ...spec,
    dagId: 'repairs',
    tasks: [
      { ...spec.tasks[0]!, taskId: 'a', upstream: [], downstream: ['j'], triggerRule: TriggerRule.ALL_SUCCESS },
      { ...spec.tasks[0]!, taskId: 'b', upstream: [], downstream: ['j'], triggerRule: TriggerRule.ALL_SUCCESS },
      { ...spec.tasks[0]!, taskId: 'j', upstream: ['a', 'b'], downstream: [], triggerRule: TriggerRule.ALL_SUCCESS },
    ],
  };
  const structure = new DagStructure(join);
  // As a worker that loaded the DAG before b → j was added: b's finish counts on nothing.
  const older = new DagStructure({ ...join, tasks: join.tasks.map((t) => (t.taskId === 'b' ? { ...t, downstream: [] } : t)) });
  await store.dags.upsert(join, { fileloc: '/dags/repairs.ts', relativeFileloc: null }, 'f', new Date().toISOString());
  const day = new Date('2026-04-01T00:00:00Z');
  const run = (await store.runs.create(
    join,
    { runId: 'r', runType: 'manual', logicalDate: day, dataInterval: { start: day, end: day }, conf: {}, state: 'running' },
    new Date(),
  ))!;
  // A run created before migration 022: no counts rows at all.
  await store.db.deleteFrom('task_instance_upstream').where('dag_id', '=', 'repairs').execute();
  const roots = (await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'scheduler s' }))).queued;
  assert.deepEqual(
    roots.map((t) => t.taskId),
    ['a', 'b'],
  );
  await assertEquivalent(store, structure, run, 'rows written by the full pass');
  const owner = { hostname: 'h', workerId: 'w' };
  for (const key of roots) {
    const ti = (await tryLifecycleOf(store).tryStarted(key, owner, new Date()))!;
    const finished = await tryLifecycleOf(store).finishTry(
      ti,
      run,
      settleTry(ti, { kind: 'success', value: 1 }, run.logicalDate),
      { structure: ti.taskId === 'b' ? older : structure, queuedBy: 'worker w' },
      new Date(),
    );
    assert.deepEqual(finished.queued, []);
  }
  assert.deepEqual((await store.upstream.ofRun('repairs', 'r')).get('j')?.success, 1, 'b was counted against the older DAG');
  const step = await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'scheduler s' }));
  assert.deepEqual(
    step.queued.map((t) => t.taskId),
    ['j'],
    "the full pass repaired j's counts and queued it",
  );
  await assertEquivalent(store, structure, run, 'after the repair');
}

describe('stored upstream counts against a full read', () => {
  it('SQLite: the full pass writes missing rows and repairs a count a worker missed', async () => {
    const store = await openStoreWithPlugins({ home: tempDir() });
    try {
      await repairs(store);
    } finally {
      await store.close();
    }
  });

  it('SQLite: 30 random DAGs with retries, branches, short-circuits, clears and marks', async () => {
    const store = await openStoreWithPlugins({ home: tempDir() });
    try {
      await walkMany(store, 30);
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
    it('PostgreSQL (one-statement finishes): 15 random DAGs', async () => walkMany(store!, 15));
    it('PostgreSQL: the full pass writes missing rows and repairs a count a worker missed', async () => repairs(store!));
  });
});
