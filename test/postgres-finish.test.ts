import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { advanceDagRun } from '../engine/execution/dag-run-evaluator.ts';
import { DagStructure, type DagSpec, type TaskSpec } from '../engine/models/dag-spec.ts';
import { TRIGGER_RULES, TriggerRule } from '../engine/models/trigger-rule.ts';
import type { TaskInstanceKey } from '../engine/models/task-instance-key.ts';
import type { DagRun } from '../engine/store/dag-run-repository.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import type { TaskInstance } from '../engine/store/task-instance-repository.ts';
import { tryLifecycleOf } from '../engine/execution/try-lifecycle.ts';
import { settleTry, type FinishedTry, type TryResult } from '../engine/execution/try-outcome.ts';
import { countAll } from '../engine/execution/upstream-counting.ts';
import { tempDir } from './helpers/cli.ts';
// The same seeded PRNG (mulberry32) as the data splits: the same seed walks every path the same way.
import { rng } from '../ml/training/dataset.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase, type ThrowawayDatabase } from './helpers/postgres.ts';

// Equivalence: on PostgreSQL a finish and its hand-off go in one statement that counts and applies the
// trigger rules' plans (engine/execution/one-statement-finish.ts plans, engine/store/postgres-finish.ts records). Walked through the same
// random DAGs, outcomes and concurrent groups, it must leave every try exactly as the transactional path does, and the stored upstream
// counts equal to a full read of the tries.

const available = await postgresAnswers();
if (!available && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

type Outcome = 'success' | 'failed' | 'retry' | 'skipped' | 'branch';

interface Scenario {
  spec: DagSpec;
  outcomes: Map<string, Outcome>;
  seed: number;
}

function scenario(seed: number): Scenario {
  const rnd = rng(seed);
  const n = 5 + Math.floor(rnd() * 6);
  const tasks: TaskSpec[] = [];
  for (let i = 0; i < n; i++) {
    const upstream =
      i === 0 ? [] : [...new Set(Array.from({ length: 1 + Math.floor(rnd() * Math.min(3, i)) }, () => `t${Math.floor(rnd() * i)}`))];
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
      triggerRule: rnd() < 0.5 ? TriggerRule.ALL_SUCCESS : TRIGGER_RULES[Math.floor(rnd() * TRIGGER_RULES.length)]!,
    });
  }
  for (const t of tasks) for (const u of t.upstream) tasks.find((x) => x.taskId === u)!.downstream.push(t.taskId);
  const kinds: Outcome[] = ['success', 'success', 'success', 'success', 'success', 'failed', 'retry', 'skipped', 'branch'];
  const outcomes = new Map(tasks.map((t) => [t.taskId, kinds[Math.floor(rnd() * kinds.length)]!]));
  const spec: DagSpec = {
    dagId: `equivalence_${seed}`,
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
  return { spec, outcomes, seed };
}

function resultOf(outcome: Outcome, tryNumber: number, downstream: readonly string[]): TryResult {
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
  }
}

interface Walk {
  /** Per step: the tries that finished together, and what their finishes queued. */
  steps: string[];
  final: Record<string, string>;
}

/**
 * Walks a run to its end: tries finish in groups of 1–3 at once, in one
 * statement (`one-statement`, as a worker does), or one by one inside a
 * transaction (`transactional`).
 */
async function walk(
  store: Store,
  { spec, outcomes, seed }: Scenario,
  runId: string,
  path: 'one-statement' | 'transactional',
): Promise<Walk> {
  const rnd = rng(seed * 7 + 1);
  const structure = new DagStructure(spec);
  await store.dags.upsert(spec, { fileloc: `/dags/${spec.dagId}.ts`, relativeFileloc: null }, 'f', new Date().toISOString());
  // One run per path; a DAG has one run per logical date.
  const logicalDate = new Date({ 'one-statement': '2026-06-01T00:00:00Z', transactional: '2026-06-04T00:00:00Z' }[path]);
  const run: DagRun = (await store.runs.create(
    spec,
    {
      runId,
      runType: 'manual',
      logicalDate,
      dataInterval: { start: logicalDate, end: logicalDate },
      conf: {},
      state: 'running',
    },
    new Date(),
  ))!;
  const position = (k: TaskInstanceKey): number => structure.position.get(k.taskId)!;
  const queue: TaskInstanceKey[] = [];
  const push = (keys: readonly TaskInstance[]): void => {
    queue.push(...keys);
  };
  push((await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'test' }))).queued);
  const steps: string[] = [];
  while (queue.length > 0) {
    queue.sort((a, b) => position(a) - position(b) || a.tryNumber - b.tryNumber);
    const group = queue.splice(0, 1 + Math.floor(rnd() * 3));
    const owner = { hostname: 'h', workerId: 'w' };
    const started = await Promise.all(group.map((k) => tryLifecycleOf(store).tryStarted(k, owner, new Date())));
    const finishes = started.map((ti) => {
      assert.ok(ti, `a queued try starts (${path})`);
      const task = structure.tasks.get(ti.taskId)!;
      return { ti, settled: settleTry(ti, resultOf(outcomes.get(ti.taskId)!, ti.tryNumber, task.downstream), run.logicalDate) };
    });
    const options = { structure, queuedBy: 'worker w', log: { chunk: 0, content: 'a line\n' } };
    let results: FinishedTry[];
    if (path !== 'transactional') {
      results = await Promise.all(
        finishes.map(({ ti, settled }) => tryLifecycleOf(store).finishTry(ti, run, settled, options, new Date())),
      );
    } else {
      results = await store.atomically(async (tx) => {
        const out: FinishedTry[] = [];
        for (const { ti, settled } of finishes) out.push(await tryLifecycleOf(tx).finishTry(ti, run, settled, options, new Date()));
        return out;
      });
    }
    const queued = results.flatMap((r) => r.queued);
    for (const [i, r] of results.entries())
      if (r.state === 'up_for_retry') push([{ ...finishes[i]!.ti, tryNumber: finishes[i]!.ti.tryNumber + 1 }]);
    push(queued);
    steps.push(
      `${group.map((k) => `${k.taskId}#${k.tryNumber}`).join(',')} -> ${results.map((r) => r.state).join(',')} queued ${queued
        .map((t) => t.taskId)
        .sort()
        .join(',')}`,
    );
  }
  const latest = await store.tasks.latestTries(spec.dagId, runId);
  const final = Object.fromEntries([...latest].map(([id, t]) => [id, `${t.state}#${t.tryNumber}`]));
  const stored = await store.upstream.ofRun(spec.dagId, runId);
  for (const { taskId, counts } of countAll(structure, latest))
    assert.deepEqual(stored.get(taskId), counts, `seed ${seed} ${path}: stored counts of ${taskId} = a full read`);
  return { steps, final };
}

describe('PostgreSQL: a finish and its hand-off in one statement', {
  skip: available ? false : `no PostgreSQL answers at ${ADMIN_URL}`,
}, () => {
  let database: ThrowawayDatabase | undefined;
  let store: Store;

  before(async () => {
    database = await throwawayDatabase();
    store = await openStoreWithPlugins({ home: tempDir(), url: database.url });
  });
  after(async () => {
    await store?.close();
    await database?.drop();
  });

  it('leaves every try of 40 random DAGs as the transactional path does', async () => {
    const commits = { oneStatement: 0, transactional: 0 };
    for (let seed = 1; seed <= 40; seed++) {
      const s = scenario(seed);
      let before = store.counts.commits;
      const fast = await walk(store, s, 'fast', 'one-statement');
      commits.oneStatement += store.counts.commits - before;
      before = store.counts.commits;
      const slow = await walk(store, s, 'slow', 'transactional');
      commits.transactional += store.counts.commits - before;
      const dag = JSON.stringify(s.spec.tasks.map((t) => [t.taskId, t.upstream, t.triggerRule, s.outcomes.get(t.taskId)]));
      assert.deepEqual(fast, slow, `seed ${seed}, one statement: ${dag}`);
    }
    // Transactions: one per group on the transactional path; on the other only where a finish fell back (skips, upstream_failed; frequent in this mix).
    assert.ok(commits.oneStatement < commits.transactional * 0.75, `the one-statement path was taken: ${JSON.stringify(commits)}`);
  });

  /** A run of first → second, with `first` running. */
  async function chainRun(runId: string, day: string) {
    const base = scenario(1).spec.tasks[0]!;
    const chain: DagSpec = {
      ...scenario(1).spec,
      dagId: 'chain_of_two',
      tasks: [
        { ...base, taskId: 'first', upstream: [], downstream: ['second'], triggerRule: TriggerRule.ALL_SUCCESS },
        { ...base, taskId: 'second', upstream: ['first'], downstream: [], triggerRule: TriggerRule.ALL_SUCCESS },
      ],
    };
    const structure = new DagStructure(chain);
    await store.dags.upsert(chain, { fileloc: '/dags/chain.ts', relativeFileloc: null }, 'f', new Date().toISOString());
    const logicalDate = new Date(`${day}T00:00:00Z`);
    const run = (await store.runs.create(
      chain,
      { runId, runType: 'manual', logicalDate, dataInterval: { start: logicalDate, end: logicalDate }, conf: {}, state: 'running' },
      new Date(),
    ))!;
    const [first] = (await store.atomically((tx) => advanceDagRun(tx, structure, run, new Date(), { queuedBy: 'test' }))).queued;
    const ti = (await tryLifecycleOf(store).tryStarted(first!, { hostname: 'h', workerId: 'w' }, new Date()))!;
    return { structure, run, ti };
  }

  it('a chain hand-off is one statement, reading no upstream try, and the statement writes the log and the XCom', async () => {
    const { structure, run, ti } = await chainRun('r1', '2026-06-01');
    const before = { ...store.counts };
    const finished = await tryLifecycleOf(store).finishTry(
      ti,
      run,
      settleTry(ti, { kind: 'success', value: { rows: 3 } }, run.logicalDate),
      { structure, queuedBy: 'worker w', log: { chunk: 0, content: 'done\n' } },
      new Date(),
    );
    assert.deepEqual(
      { statements: store.counts.statements - before.statements, commits: store.counts.commits - before.commits },
      { statements: 1, commits: 0 },
    );
    assert.deepEqual(
      finished.queued.map((t) => [t.taskId, t.state, t.queuedBy]),
      [['second', 'queued', 'worker w']],
    );
    assert.equal(await store.logs.read(ti), 'done\n');
    assert.deepEqual([...(await store.xcom.forRun('chain_of_two', 'r1'))], [['first', { rows: 3 }]]);
    const again = await tryLifecycleOf(store).finishTry(
      ti,
      run,
      settleTry(ti, { kind: 'success' }, run.logicalDate),
      { structure, queuedBy: 'worker w' },
      new Date(),
    );
    assert.deepEqual([again.recorded, again.queued.length], [false, 0], 'a second finish loses the compare-and-set and queues nothing');
  });

  it('a downstream try another process queued meanwhile is not queued again', async () => {
    const { structure, run, ti } = await chainRun('r2', '2026-06-02');
    const second = (await store.tasks.latestTries('chain_of_two', 'r2')).get('second')!;
    assert.ok(await store.tasks.transition(second, ['none'], 'queued', { queued_by: 'scheduler s' }, new Date()));
    const finished = await tryLifecycleOf(store).finishTry(
      ti,
      run,
      settleTry(ti, { kind: 'success' }, run.logicalDate),
      { structure, queuedBy: 'worker w' },
      new Date(),
    );
    assert.deepEqual([finished.recorded, finished.queued.length], [true, 0]);
    assert.equal((await store.tasks.latestTries('chain_of_two', 'r2')).get('second')!.queuedBy, 'scheduler s');
  });
});
