import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dagFolderFrom, FIXTURES, tempDir } from './helpers/cli.ts';
import { waitFor } from './helpers/processes.ts';

const features = dagFolderFrom('features/features.ts');
const recovery = dagFolderFrom('recovery/recovery.ts');
const byTask = (tries: Array<{ taskId: string; tryNumber: number; state: string }>) =>
  Object.fromEntries(tries.map((t) => [`${t.taskId}#${t.tryNumber}`, t.state]));

describe('scheduler + BullMQ + worker processes', () => {
  it('fan-out, fan-in and a branch, run by two worker processes', async (t) => {
    const cluster = await TestCluster.start(features);
    t.after(() => cluster.stop());
    cluster.scheduler();
    const workers = [cluster.worker(['--concurrency', '1']), cluster.worker(['--concurrency', '1'])];
    const runIds: string[] = [];
    for (let i = 0; i < 4; i++) runIds.push(await cluster.trigger('branch_join', { side: i % 2 ? 'right' : 'left' }));
    const pids = new Set<string>();
    for (const [i, runId] of runIds.entries()) {
      const run = await cluster.waitForRun('branch_join', runId);
      assert.equal(run.state, 'success');
      const states = byTask(await cluster.tries('branch_join', runId));
      assert.equal(states['join#1'], 'success');
      assert.equal(states[i % 2 ? 'left#1' : 'right#1'], 'skipped');
      assert.equal(states[i % 2 ? 'left#1' : 'right_child#1'], 'skipped');
      for (const ti of await cluster.tries('branch_join', runId)) if (ti.workerId) pids.add(ti.workerId.split(':')[1]!);
    }
    assert.deepEqual([...pids].sort(), workers.map((w) => String(w.pid)).sort(), 'both workers executed tasks');
    const xcom = await cluster.store.xcom.forRun('branch_join', runIds[0]!);
    assert.deepEqual(xcom.get('join'), { total: 43 });
  });

  it('retries wait their delay as delayed jobs; up_for_retry is visible between tries', async (t) => {
    const cluster = await TestCluster.start(features);
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.worker();
    const runId = await cluster.trigger('retry_then_succeed');
    const between = await cluster.waitForTask('retry_then_succeed', runId, 'flaky', ['up_for_retry']);
    assert.equal(between.tryNumber, 1);
    const run = await cluster.waitForRun('retry_then_succeed', runId);
    assert.equal(run.state, 'success');
    const tries = await cluster.tries('retry_then_succeed', runId);
    assert.deepEqual(
      tries.map((x) => [x.tryNumber, x.state]),
      [
        [1, 'up_for_retry'],
        [2, 'up_for_retry'],
        [3, 'success'],
      ],
    );
    // retryDelay is 1 s: each try starts no earlier than the previous one ended plus the delay
    for (let i = 1; i < tries.length; i++) {
      assert.ok(new Date(tries[i]!.startDate!).getTime() >= new Date(tries[i - 1]!.endDate!).getTime() + 1000);
    }
    for (const x of tries) assert.match(await cluster.store.logs.read(x), new RegExp(`attempt ${x.tryNumber}`));
  });

  it('a failing task fails the run; trigger rules downstream behave as in Airflow', async (t) => {
    const cluster = await TestCluster.start(features);
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.worker();
    const runId = await cluster.trigger('failing');
    const run = await cluster.waitForRun('failing', runId);
    assert.equal(run.state, 'failed');
    assert.deepEqual(byTask(await cluster.tries('failing', runId)), {
      'boom#1': 'up_for_retry',
      'boom#2': 'failed',
      'after#1': 'upstream_failed',
      'cleanup#1': 'success',
      'alert#1': 'success',
    });
  });

  it('a worker killed with SIGKILL mid-task: the try is detected as lost and retried; the run succeeds', async (t) => {
    const cluster = await TestCluster.start(recovery);
    t.after(() => cluster.stop());
    cluster.scheduler();
    const doomed = cluster.worker();
    const runId = await cluster.trigger('slow_task', { ms: 4000 });
    const running = await cluster.waitForTask('slow_task', runId, 'slow', ['running']);
    assert.equal(running.workerId!.split(':')[1], String(doomed.pid));
    const survivor = cluster.worker();
    await doomed.stop('SIGKILL');
    const run = await cluster.waitForRun('slow_task', runId);
    assert.equal(run.state, 'success');
    const slow = (await cluster.tries('slow_task', runId)).filter((x) => x.taskId === 'slow');
    assert.deepEqual(
      slow.map((x) => x.state),
      ['up_for_retry', 'success'],
    );
    assert.match(slow[0]!.error!, /was lost/);
    assert.equal(slow[1]!.workerId!.split(':')[1], String(survivor.pid));
  });

  it("a worker killed mid-task is found by its stale heartbeat, not by BullMQ's lock: its try is failed and retried", async (t) => {
    // A 10-minute lock: BullMQ cannot hand the dead worker's job on before this test ends, so only the zombie check can find it.
    const cluster = await TestCluster.start(recovery, { UPDRAFT_WORKER_LOCK_SECONDS: '600' });
    t.after(() => cluster.stop());
    cluster.scheduler();
    const doomed = cluster.worker();
    const runId = await cluster.trigger('slow_task', { ms: 600_000 });
    const running = await cluster.waitForTask('slow_task', runId, 'slow', ['running']);
    assert.equal(running.workerId!.split(':')[1], String(doomed.pid));
    const survivor = cluster.worker();
    await doomed.stop('SIGKILL');
    // retryDelay 0: the retry starts at once, so up_for_retry may never be seen as the latest try; wait for try 2 instead.
    const retry = await waitFor('the retry running', async () => {
      const ti = (await cluster.store.tasks.latestTries('slow_task', runId)).get('slow');
      return ti?.tryNumber === 2 && ti.state === 'running' ? ti : undefined;
    });
    assert.equal(retry.workerId!.split(':')[1], String(survivor.pid));
    const [lost] = (await cluster.tries('slow_task', runId)).filter((x) => x.taskId === 'slow');
    assert.equal(lost!.state, 'up_for_retry');
    assert.match(lost!.error!, new RegExp(`worker ${running.workerId} was lost \\(no heartbeat for \\d+s, threshold 6s\\)`));
  });

  it("a task blocking its worker's event loop past the zombie threshold and the BullMQ lock is not taken for lost: one try", async (t) => {
    // Beats every 0.3 s, lost after 2 s of silence; the task blocks its event loop for 8 s (lock: 2 s).
    const cluster = await TestCluster.start(recovery, { UPDRAFT_WORKER_HEARTBEAT_SECONDS: '0.3', UPDRAFT_ZOMBIE_THRESHOLD_SECONDS: '2' });
    t.after(() => cluster.stop());
    cluster.scheduler();
    const busy = cluster.worker();
    const runId = await cluster.trigger('busy_loop', { ms: 8000 });
    await cluster.waitForTask('busy_loop', runId, 'spin', ['running']);
    // A second worker: BullMQ hands it the busy worker's job once the lock lapses; the fresh heartbeat says the try is alive.
    cluster.worker();
    assert.equal((await cluster.waitForRun('busy_loop', runId)).state, 'success');
    const tries = await cluster.tries('busy_loop', runId);
    assert.deepEqual(
      tries.map((x) => [x.tryNumber, x.state, x.workerId!.split(':')[1]]),
      [[1, 'success', String(busy.pid)]],
    );
  });

  it('a worker whose DAG folder holds another file of the same name loads the DAG from the path the scheduler recorded', async (t) => {
    const cluster = await TestCluster.start(recovery);
    t.after(() => cluster.stop());
    // Same relative path (recovery.ts), another DAG: the worker's own folder is looked in first, then the recorded path.
    const other = tempDir('updraft-other-dags-');
    writeFileSync(join(other, 'recovery.ts'), readFileSync(join(FIXTURES, 'features', 'good.ts')));
    cluster.scheduler();
    cluster.worker([], { UPDRAFT_DAGS_FOLDER: other });
    const runId = await cluster.trigger('steady_chain', { ms: 10 });
    assert.equal((await cluster.waitForRun('steady_chain', runId)).state, 'success');
    assert.ok((await cluster.tries('steady_chain', runId)).every((ti) => ti.state === 'success' && ti.tryNumber === 1));
  });

  it('the scheduler killed and restarted mid-run: the run resumes, one try per task', async (t) => {
    const cluster = await TestCluster.start(recovery);
    t.after(() => cluster.stop());
    const first = cluster.scheduler();
    cluster.worker();
    const runId = await cluster.trigger('steady_chain');
    await cluster.waitForTask('steady_chain', runId, 't2', ['running']);
    await first.stop('SIGKILL');
    await cluster.waitForTask('steady_chain', runId, 't2', ['success']);
    cluster.scheduler();
    const run = await cluster.waitForRun('steady_chain', runId);
    assert.equal(run.state, 'success');
    const tries = await cluster.tries('steady_chain', runId);
    assert.deepEqual(tries.map((x) => `${x.taskId}#${x.tryNumber}:${x.state}`).sort(), [
      't1#1:success',
      't2#1:success',
      't3#1:success',
      't4#1:success',
    ]);
  });

  it('Redis loses all its data mid-run (FLUSHALL): the store rebuilds the queue; the run succeeds', async (t) => {
    const cluster = await TestCluster.start(recovery);
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.worker(['--concurrency', '1']);
    const runId = await cluster.trigger('wide', { ms: 1500 });
    await waitFor('one sleeper running and others queued', async () => {
      const states = [...(await cluster.store.tasks.latestTries('wide', runId)).values()].map((x) => x.state);
      return states.includes('running') && states.includes('queued');
    });
    await cluster.redis.client().flushall();
    const run = await cluster.waitForRun('wide', runId);
    assert.equal(run.state, 'success');
    const tries = await cluster.tries('wide', runId);
    assert.equal(tries.length, 8, 'one try per task: nothing ran twice, nothing was lost');
    assert.ok(tries.every((x) => x.state === 'success'));
  });

  it('SIGTERM: a worker stops taking work, hands back what it runs, and exits 0', async (t) => {
    const cluster = await TestCluster.start(recovery, { UPDRAFT_WORKER_GRACE_SECONDS: '0.5' });
    t.after(() => cluster.stop());
    cluster.scheduler();
    const leaving = cluster.worker();
    const runId = await cluster.trigger('slow_task', { ms: 6000 });
    await cluster.waitForTask('slow_task', runId, 'slow', ['running']);
    assert.equal(await leaving.stop('SIGTERM'), 0);
    const handedBack = (await cluster.store.tasks.latestTries('slow_task', runId)).get('slow')!;
    assert.equal(handedBack.state, 'queued');
    assert.equal(handedBack.tryNumber, 1, 'handing back does not spend a retry');
    cluster.worker();
    assert.equal((await cluster.waitForRun('slow_task', runId)).state, 'success');
    const slow = (await cluster.tries('slow_task', runId)).filter((x) => x.taskId === 'slow');
    assert.deepEqual(
      slow.map((x) => [x.tryNumber, x.state]),
      [[1, 'success']],
    );
  });

  it('a DAG file edited mid-run: an added task joins the run, a removed one is marked removed, the run succeeds', async (t) => {
    const folder = tempDir('updraft-dags-');
    const marker = join(tempDir(), 'go');
    const file = join(folder, 'evolving.ts');
    const version = (tasks: string) => `
import { existsSync } from 'node:fs';
import { dag } from 'updraft';
export const d = dag({ dagId: 'evolving' });
const gate = d.task('gate', async () => { while (!existsSync(${JSON.stringify(marker)})) await new Promise((r) => setTimeout(r, 50)); });
${tasks}
`;
    writeFileSync(file, version(`gate.to(d.empty('kept'));\ngate.to(d.empty('dropped'));`));
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.worker();
    const runId = await cluster.trigger('evolving');
    await cluster.waitForTask('evolving', runId, 'gate', ['running']);

    writeFileSync(file, version(`gate.to(d.empty('kept'));\ngate.to(d.empty('added'));`));
    await waitFor('the scheduler to parse the new version', async () =>
      (await cluster.store.dags.get('evolving'))?.spec.tasks.some((x) => x.taskId === 'added'),
    );
    await waitFor('the run to take the new version', async () => {
      const latest = await cluster.store.tasks.latestTries('evolving', runId);
      return latest.has('added') && latest.get('dropped')?.state === 'removed';
    });
    writeFileSync(marker, '');
    assert.equal((await cluster.waitForRun('evolving', runId)).state, 'success');
    assert.deepEqual(byTask(await cluster.tries('evolving', runId)), {
      'gate#1': 'success',
      'kept#1': 'success',
      'dropped#1': 'removed',
      'added#1': 'success',
    });
  });

  it("isolation: 'process' — a task blocking its event loop past the worker's lock runs once, in its own process, and succeeds", async (t) => {
    // UPDRAFT_WORKER_LOCK_SECONDS is 2 here: in-process, a 5 s busy loop would lose the lock.
    const cluster = await TestCluster.start(recovery);
    t.after(() => cluster.stop());
    cluster.scheduler();
    const workers = [cluster.worker(), cluster.worker()];
    const runId = await cluster.trigger('blocking', { ms: 5000 });
    assert.equal((await cluster.waitForRun('blocking', runId)).state, 'success');
    const tries = await cluster.tries('blocking', runId);
    assert.deepEqual(byTask(tries), { 'crunch#1': 'success', 'report#1': 'success' }, 'one try each: the lock held');
    const crunched = (await cluster.store.xcom.forRun('blocking', runId)).get('report') as { pid: number };
    const crunch = tries.find((x) => x.taskId === 'crunch')!;
    assert.ok(
      workers.some((w) => crunch.workerId === `${crunch.hostname}:${w.pid}`),
      'recorded as started by a worker',
    );
    assert.ok(!workers.some((w) => w.pid === crunched.pid), `ran in a child process (pid ${crunched.pid}), not in the worker`);
    assert.match(await cluster.store.logs.read(crunch), /crunched in pid \d+/);
  });
});
