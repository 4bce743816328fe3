import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.ts';
import { dagFolderFrom } from './helpers/cli.ts';
import { waitFor } from './helpers/processes.ts';

const folder = dagFolderFrom('recovery/recovery.ts', 'features/features.ts');
const worker = (pid: number): string => `worker ${hostname()}:${pid}`;

describe('hand-off where the event happens (a worker queues the downstream of the task it finished)', () => {
  it('downstream tries are queued by the worker that finished their upstream, branch skips included; the scheduler queues only run roots', async (t) => {
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    const scheduler = cluster.scheduler();
    const only = cluster.worker(['--concurrency', '2']);
    const chainRun = await cluster.trigger('steady_chain', { ms: 20 });
    const branchRun = await cluster.trigger('branch_join', { side: 'right' });
    assert.equal((await cluster.waitForRun('steady_chain', chainRun)).state, 'success');
    assert.equal((await cluster.waitForRun('branch_join', branchRun)).state, 'success');

    const chain = await cluster.tries('steady_chain', chainRun);
    const queuedBy = Object.fromEntries(chain.map((ti) => [ti.taskId, ti.queuedBy]));
    assert.match(queuedBy.t1 ?? '', /^scheduler /, 'a run root is queued by the scheduler');
    for (const id of ['t2', 't3', 't4']) assert.equal(queuedBy[id], worker(only.pid), `${id} queued by the worker`);

    const branch = await cluster.tries('branch_join', branchRun);
    const states = Object.fromEntries(branch.map((ti) => [ti.taskId, [ti.state, ti.queuedBy]]));
    assert.deepEqual(states.left, ['skipped', null], 'the branch not followed is skipped in the hand-off transaction');
    assert.deepEqual(states.join, ['success', worker(only.pid)], 'the join (none_failed_min_one_success) is queued by the worker');
    // The scheduler heard of every finish and found nothing left to queue.
    assert.doesNotMatch(readFileSync(scheduler.logFile, 'utf8'), /hand-off should have queued/);

    const json = await cluster.cli<Array<{ task_id: string; queued_by: string | null }>>([
      'tasks',
      'states-for-dag-run',
      'steady_chain',
      chainRun,
    ]);
    assert.equal(json.find((r) => r.task_id === 't2')?.queued_by, worker(only.pid));
  });

  it('a worker killed between committing a hand-off and enqueueing it: the scheduler re-enqueues the queued try and the run succeeds', async (t) => {
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    const scheduler = cluster.scheduler();
    const doomed = cluster.worker([], { UPDRAFT_TEST_DIE_BEFORE_HAND_OFF: '1' });
    const runId = await cluster.trigger('steady_chain', { ms: 20 });
    // It runs t1, commits (t2 queued in the same transaction) and dies before telling BullMQ.
    assert.equal(await doomed.exited, null, 'the doomed worker was killed by its own SIGKILL');
    const t2 = await cluster.waitForTask('steady_chain', runId, 't2', ['queued', 'running', 'success']);
    assert.equal(t2.queuedBy, worker(doomed.pid), 'the store shows the dead worker queued t2');
    assert.equal((await cluster.tries('steady_chain', runId)).find((ti) => ti.taskId === 't1')?.state, 'success');

    const rescuer = cluster.worker();
    const run = await cluster.waitForRun('steady_chain', runId);
    assert.equal(run.state, 'success');
    const tries = await cluster.tries('steady_chain', runId);
    assert.deepEqual(
      tries.map((ti) => [ti.taskId, ti.tryNumber, ti.state]),
      [
        ['t1', 1, 'success'],
        ['t2', 1, 'success'],
        ['t3', 1, 'success'],
        ['t4', 1, 'success'],
      ],
    );
    assert.equal(tries.find((ti) => ti.taskId === 't3')?.queuedBy, worker(rescuer.pid));
    await waitFor('the scheduler log line', async () =>
      /queued try has no job in Redis: enqueueing it again/.test(readFileSync(scheduler.logFile, 'utf8')),
    );
    const repaired = readFileSync(scheduler.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('queued try has no job in Redis'));
    assert.ok(
      repaired.every((l) => JSON.parse(l).task_id === 't2'),
      'only t2 needed repair',
    );
  });
});
