import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import { advanceDagRun } from '../engine/execution/dag-run-evaluator.ts';
import { createLogger } from '../engine/logging/logger.ts';
import { DagStructure, type DagSpec, type TaskSpec } from '../engine/models/dag-spec.ts';
import { TaskInstanceState } from '../engine/models/states.ts';
import { TriggerRule } from '../engine/models/trigger-rule.ts';
import type { SchedulerEvent } from '../engine/queue/interfaces.ts';
import { SCHEDULER_EVENTS_QUEUE, TaskQueues } from '../engine/queue/task-queues.ts';
import type { DagRun } from '../engine/store/dag-run-repository.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import type { TaskInstance } from '../engine/store/task-instance-repository.ts';
import { tryLifecycleOf } from '../engine/execution/try-lifecycle.ts';
import { settleTry, type FinishedTry, type TryResult } from '../engine/execution/try-outcome.ts';
import { SchedulerNotices } from '../workers/scheduler-notices.ts';
import { tempDir } from './helpers/cli.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';

// A worker tells the scheduler of a finish only when nothing else will look at its run
// (workers/scheduler-notices.ts), on a real store and a real Redis.

const task = (taskId: string, upstream: string[], downstream: string[]): TaskSpec => ({
  taskId,
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
  downstream,
  triggerRule: TriggerRule.ALL_SUCCESS,
});
// x -> y, and z on its own.
const spec: DagSpec = {
  dagId: 'notices',
  description: '',
  tags: [],
  schedule: null,
  startDate: null,
  endDate: null,
  catchup: false,
  maxActiveRuns: 16,
  dagrunTimeoutMs: null,
  params: {},
  owners: ['t'],
  tasks: [task('x', [], ['y']), task('y', ['x'], []), task('z', [], [])],
};
const structure = new DagStructure(spec);
// a -> j <- b, and c on its own.
const joinSpec: DagSpec = {
  ...spec,
  dagId: 'notices_join',
  tasks: [task('a', [], ['j']), task('b', [], ['j']), task('c', [], []), task('j', ['a', 'b'], [])],
};
const joinStructure = new DagStructure(joinSpec);
const owner = { hostname: 'h', workerId: 'w' };

describe('scheduler notices: a worker tells the scheduler only when nothing else will look at the run', () => {
  let redis: TestRedis;
  let store: Store;
  let queues: TaskQueues;
  let events: Queue<SchedulerEvent>;
  let notices: SchedulerNotices;

  before(async () => {
    redis = await startRedis();
    store = await openStoreWithPlugins({ home: tempDir() });
    queues = new TaskQueues({ redisUrl: redis.url, prefix: redis.prefix }, store.deploymentId);
    events = new Queue(SCHEDULER_EVENTS_QUEUE, { connection: { url: redis.url }, prefix: redis.prefix });
    notices = new SchedulerNotices(store, queues, createLogger('test'));
    await store.dags.upsert(spec, { fileloc: '/dags/notices.ts', relativeFileloc: null }, 'f', new Date().toISOString());
    await store.dags.upsert(joinSpec, { fileloc: '/dags/notices.ts', relativeFileloc: null }, 'f', new Date().toISOString());
  });
  after(async () => {
    await events?.close();
    await queues?.close();
    await store?.close();
    await redis?.stop();
  });

  const newRun = async (runId: string, day: number, of = structure): Promise<DagRun> => {
    const logicalDate = new Date(Date.UTC(2026, 5, day));
    const run = (await store.runs.create(
      of.spec,
      { runId, runType: 'manual', logicalDate, dataInterval: { start: logicalDate, end: logicalDate }, conf: {}, state: 'running' },
      new Date(),
    ))!;
    await store.atomically((tx) => advanceDagRun(tx, of, run, new Date(), { queuedBy: 'test' }));
    return run;
  };
  const started = async (run: DagRun, taskId: string, tryNumber = 1): Promise<TaskInstance> => {
    const ti = await tryLifecycleOf(store).tryStarted({ dagId: run.dagId, runId: run.runId, taskId, tryNumber }, owner, new Date());
    assert.ok(ti, `${taskId} starts`);
    return ti;
  };
  const finish = async (run: DagRun, ti: TaskInstance, result: TryResult): Promise<FinishedTry> => {
    const outcome = await tryLifecycleOf(store).finishTry(
      ti,
      run,
      settleTry(ti, result, run.logicalDate),
      { structure, queuedBy: 'worker w' },
      new Date(),
    );
    await notices.afterFinish(ti, outcome, structure);
    return outcome;
  };
  const told = async (): Promise<string[]> =>
    (await events.getWaiting()).map((job) => `${job.data.type} ${'taskId' in job.data ? job.data.taskId : ''}`).sort();

  it('says nothing while a try waits to start or a hand-off queued one, and tells the last finish', async () => {
    const run = await newRun('chain', 1);
    const [x, z] = [await started(run, 'x'), await started(run, 'z')];
    await finish(run, z, { kind: 'failed', error: 'Error: flaky', retryable: true });
    assert.deepEqual(await told(), [], 'up for retry: its next try looks at the run later');
    assert.deepEqual(
      (await finish(run, x, { kind: 'success', value: 1 })).queued.map((t) => t.taskId),
      ['y'],
    );
    assert.deepEqual(await told(), [], 'the hand-off queued y: its finish looks at the run later');
    const y = await started(run, 'y');
    await finish(run, y, { kind: 'success', value: 2 });
    // A try up for retry does not count as waiting: its retry job may be the one lost, and a look costs the scheduler one read.
    assert.deepEqual(await told(), ['task-finished y']);
    await finish(run, await started(run, 'z', 2), { kind: 'success', value: 3 });
    assert.deepEqual(await told(), ['task-finished y', 'task-finished z']);
  });

  it('tells the scheduler when no other try waits to start', async () => {
    await events.obliterate({ force: true });
    const run = await newRun('last', 2);
    const [x, z] = [await started(run, 'x'), await started(run, 'z')];
    await finish(run, z, { kind: 'success', value: 1 });
    assert.deepEqual(await told(), [], "y waits (none), and it is not z's downstream");
    // x's hand-off decided, from a read older than some concurrent finish, that y still waits:
    // y, its own downstream, must not keep the scheduler from looking.
    const outcome = await tryLifecycleOf(store).finishTry(
      x,
      run,
      settleTry(x, { kind: 'success', value: 1 }, run.logicalDate),
      { structure: null, queuedBy: 'worker w' },
      new Date(),
    );
    assert.equal(outcome.queued.length, 0);
    await notices.afterFinish(x, outcome, structure);
    assert.deepEqual(await told(), ['task-finished x']);
    assert.equal((await store.tasks.latestTriesFor(run.dagId, run.runId, ['y'])).get('y')?.state, TaskInstanceState.NONE);
  });

  it('a join whose upstreams finish at once is decided by their hand-off, from its counts: the scheduler is not needed', async () => {
    await events.obliterate({ force: true });
    const run = await newRun('join', 3, joinStructure);
    const [a, b] = [await started(run, 'a'), await started(run, 'b')];
    const finishJoin = (ti: TaskInstance) =>
      tryLifecycleOf(store).finishTry(
        ti,
        run,
        settleTry(ti, { kind: 'success', value: 1 }, run.logicalDate),
        { structure: joinStructure, queuedBy: 'worker w' },
        new Date(),
      );
    const [outcomeA, outcomeB] = await Promise.all([finishJoin(a), finishJoin(b)]);
    assert.deepEqual(
      [...outcomeA.queued, ...outcomeB.queued].map((t) => t.taskId),
      ['j'],
      "both finishes were counted on j's row; the one that completed it queued j",
    );
    await Promise.all([notices.afterFinish(a, outcomeA, joinStructure), notices.afterFinish(b, outcomeB, joinStructure)]);
    assert.deepEqual(await told(), [], 'j was queued by the hand-off, and c still waits to start');
  });
});
