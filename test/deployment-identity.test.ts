import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { TestCluster } from './helpers/cluster.ts';
import { dagFolderFrom, tempDir } from './helpers/cli.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';

const folder = dagFolderFrom('recovery/recovery.ts');

// ADR 11, docs/adr/0011-a-deployment-has-an-identity.md
describe('deployment identity (ADR 11)', () => {
  it('a worker whose store is another deployment refuses the job, names both ids, exits non-zero; the right worker then runs it', async (t) => {
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    const wrongHome = tempDir('updraft-wrong-home-');
    const wrong = await openStoreWithPlugins({ home: wrongHome });
    const wrongId = wrong.deploymentId;
    await wrong.close();
    assert.notEqual(wrongId, cluster.store.deploymentId, 'each store gets its own deployment id');

    cluster.scheduler();
    const runId = await cluster.trigger('steady_chain', { ms: 10 });
    const misconfigured = startUpdraft(['worker'], { ...cluster.env, UPDRAFT_HOME: wrongHome }, cluster.logDir);
    t.after(() => misconfigured.stop('SIGKILL'));
    assert.equal(await misconfigured.exited, 3);
    const fatal = readFileSync(misconfigured.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"level":60'));
    assert.equal(fatal.length, 1, 'one fatal line');
    assert.match(
      fatal[0]!,
      new RegExp(`belongs to deployment ${cluster.store.deploymentId} but this worker's store is deployment ${wrongId}`),
    );
    const t1 = (await cluster.tries('steady_chain', runId)).find((ti) => ti.taskId === 't1');
    assert.equal(t1?.state, 'queued', 'the refused try was not touched');

    cluster.worker();
    assert.equal((await cluster.waitForRun('steady_chain', runId)).state, 'success');
  });

  it('a queued try whose job a rogue consumer completed without running it is enqueued again by the scheduler', async (t) => {
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    // A consumer of the task queue that completes jobs without touching the store (what a
    // worker on the wrong store did before deployment ids).
    const connection = new Redis(cluster.redis.url, { maxRetriesPerRequest: null });
    const swallowed: string[] = [];
    const rogue = new Worker(
      'tasks-default',
      async (job) => {
        swallowed.push(String(job.id));
        return null;
      },
      { connection, prefix: cluster.redis.prefix },
    );
    t.after(async () => {
      await rogue.close();
      connection.disconnect();
    });
    const scheduler = cluster.scheduler();
    const runId = await cluster.trigger('steady_chain', { ms: 10 });
    await waitFor('the rogue consumer to swallow t1', async () => swallowed.length > 0);
    await rogue.close();
    cluster.worker();
    assert.equal((await cluster.waitForRun('steady_chain', runId)).state, 'success');
    assert.match(readFileSync(scheduler.logFile, 'utf8'), /queued try whose job already finished/);
  });

  it('a refusing worker hands its jobs back at once: with retries 0 and a short task_queued_timeout every try still succeeds first time', async (t) => {
    // Four tries queued at once, no retries: a try the refusing worker left locked until
    // BullMQ's stall check (its lock's length, 120 s here) would outlive task_queued_timeout and fail the run.
    const dags = tempDir('updraft-dags-');
    writeFileSync(
      join(dags, 'handed_back.ts'),
      [
        "import { dag } from 'updraft';",
        "export const handedBack = dag({ dagId: 'handed_back', defaultArgs: { retries: 0 } });",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the DAG file's own template literal, written as text
        'for (let i = 1; i <= 4; i++) handedBack.task(`t${i}`, () => i);',
      ].join('\n'),
    );
    const cluster = await TestCluster.start(dags, { UPDRAFT_TASK_QUEUED_TIMEOUT: '30' });
    t.after(() => cluster.stop());
    const wrongHome = tempDir('updraft-wrong-home-');
    await (await openStoreWithPlugins({ home: wrongHome })).close();

    cluster.scheduler();
    const foreign = cluster.worker([], { UPDRAFT_HOME: wrongHome, UPDRAFT_WORKER_LOCK_SECONDS: '120' });
    await waitFor('the foreign worker to start', async () => readFileSync(foreign.logFile, 'utf8').includes('worker started'));
    const runId = await cluster.trigger('handed_back');
    assert.equal(await foreign.exited, 3);
    cluster.worker();
    const run = await cluster.waitForRun('handed_back', runId);
    const tries = await cluster.tries('handed_back', runId);
    assert.deepEqual(
      tries.map((ti) => [ti.taskId, ti.tryNumber, ti.state, ti.error]).sort(),
      [1, 2, 3, 4].map((i) => [`t${i}`, 1, 'success', null]),
    );
    assert.equal(run.state, 'success');
  });
});
