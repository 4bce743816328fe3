import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Store } from '../engine/store/store.ts';
import { TestCluster } from './helpers/cluster.ts';
import { dagFolderFrom, tempDir } from './helpers/cli.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';

const folder = dagFolderFrom('recovery/recovery.ts');

describe('deployment identity (decision 11)', () => {
  it('a worker whose store is another deployment refuses the job, names both ids, exits non-zero; the right worker then runs it', async (t) => {
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    const wrongHome = tempDir('updraft-wrong-home-');
    const wrong = await Store.open({ home: wrongHome });
    const wrongId = wrong.deploymentId;
    await wrong.close();
    assert.notEqual(wrongId, cluster.store.deploymentId, 'each store gets its own deployment id');

    cluster.scheduler();
    const runId = await cluster.trigger('steady_chain', { ms: 10 });
    const misconfigured = startUpdraft(['worker'], { ...cluster.env, UPDRAFT_HOME: wrongHome }, cluster.logDir);
    t.after(() => misconfigured.stop('SIGKILL'));
    assert.equal(await misconfigured.exited, 3);
    const fatal = readFileSync(misconfigured.logFile, 'utf8').split('\n').filter((l) => l.includes('"level":60'));
    assert.equal(fatal.length, 1, 'one fatal line');
    assert.match(fatal[0]!, new RegExp(`belongs to deployment ${cluster.store.deploymentId} but this worker's store is deployment ${wrongId}`));
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
    const rogue = new Worker('tasks-default', async (job) => {
      swallowed.push(String(job.id));
      return null;
    }, { connection, prefix: cluster.redis.prefix });
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
});
