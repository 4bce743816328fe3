import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.ts';
import { cliJson, dagFolderFrom } from './helpers/cli.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';

const folder = dagFolderFrom('recovery/recovery.ts');

describe('dags test and dags backfill beside a running scheduler', () => {
  it('a dags test run belongs to its process: the scheduler never enqueues it, its workers never run it', async (t) => {
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    const scheduler = cluster.scheduler();
    const worker = cluster.worker();
    await waitFor('the scheduler to start', async () => readFileSync(scheduler.logFile, 'utf8').includes('scheduler started'));
    const run = await cliJson<{
      run_id: string;
      state: string;
      task_instances: Array<{ task_id: string; worker_id: string; queued_by: string }>;
    }>(['dags', 'test', 'steady_chain', '--conf', '{"ms": 1500}'], cluster.env);
    assert.equal(run.state, 'success');
    for (const ti of run.task_instances) {
      assert.notEqual(ti.worker_id, `${hostname()}:${worker.pid}`, `${ti.task_id} ran in the dags test process`);
      assert.match(ti.queued_by, /^dags test /, `${ti.task_id} was queued by dags test`);
    }
    assert.doesNotMatch(
      readFileSync(scheduler.logFile, 'utf8'),
      new RegExp(run.run_id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
      'the scheduler never touched the run',
    );
  });

  it('a dags test process killed mid-run: the scheduler fails its run (every run reaches a terminal state)', async (t) => {
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    cluster.scheduler();
    const local = startUpdraft(['dags', 'test', 'slow_task', '--conf', '{"ms": 60000}'], cluster.env, cluster.logDir);
    t.after(() => local.stop('SIGKILL'));
    const slow = await waitFor('slow running under dags test', async () => {
      for (const r of await cluster.store.runs.list('slow_task')) {
        const ti = (await cluster.store.tasks.latestTries('slow_task', r.runId)).get('slow');
        if (ti?.state === 'running') return ti;
      }
      return undefined;
    });
    await local.stop('SIGKILL');
    const run = await cluster.waitForRun('slow_task', slow.runId);
    assert.equal(run.state, 'failed');
    assert.equal((await cluster.store.tasks.latestTries('slow_task', slow.runId)).get('slow')?.state, 'skipped');
  });
});
