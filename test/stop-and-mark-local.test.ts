import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';
import { StoppableCluster } from './helpers/stoppable.ts';

describe('stop and mark: dags test; pausing', () => {
  let s: StoppableCluster;
  before(async () => {
    s = await StoppableCluster.start({ webserver: false });
  });
  after(() => s?.stop());

  it('dags test honours the same: a try it runs, marked success from outside, stops and the run goes on', async () => {
    const { cluster } = s;
    const before = new Set((await cluster.store.runs.list('stop_fn')).map((r) => r.runId));
    const local = startUpdraft(['dags', 'test', 'stop_fn'], cluster.env, cluster.logDir);
    cluster.processes.push(local);
    const run = await waitFor('the dags test run', async () =>
      (await cluster.store.runs.list('stop_fn')).find((r) => !before.has(r.runId)),
    );
    assert.match(run.executor ?? '', /^local /);
    await cluster.waitForTask('stop_fn', run.runId, 'waiter', ['running']);
    await cluster.cli(['tasks', 'set-state', 'stop_fn', run.runId, 'waiter', 'success', '-y']);
    assert.equal(await local.exited, 0, readFileSync(local.logFile, 'utf8'));
    assert.equal((await cluster.store.runs.get('stop_fn', run.runId))!.state, 'success');
    assert.deepEqual(await s.states('stop_fn', run.runId), { waiter: 'success', downstream: 'success' });
  });

  it('pausing a DAG stops new runs, not the running one', async () => {
    const { cluster } = s;
    const runId = await cluster.trigger('stop_paused');
    await cluster.waitForTask('stop_paused', runId, 'gate', ['running']);
    assert.equal((await runCli(['dags', 'pause', 'stop_paused'], cluster.env)).code, 0);
    s.open();
    assert.equal((await cluster.waitForRun('stop_paused', runId)).state, 'success');
    // biome-ignore lint/suspicious/noThenProperty: 'then' is a task id of the DAG under test, compared as data
    assert.deepEqual(await s.states('stop_paused', runId), { gate: 'success', then: 'success' });
  });
});
