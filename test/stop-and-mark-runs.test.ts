import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';
import { alive, StoppableCluster } from './helpers/stoppable.ts';
import { http } from './helpers/webserver.ts';

describe('stop and mark: runs set from outside; dags test; pausing', () => {
  let s: StoppableCluster;
  before(async () => void (s = await StoppableCluster.start()));
  after(() => s?.stop());

  it('a run marked failed with REST PATCH terminates its process-isolated running try (process killed) and skips the rest', async () => {
    const { cluster, api } = s;
    const runId = await cluster.trigger('stop_isolated');
    await cluster.waitForTask('stop_isolated', runId, 'iso_sleeper', ['running']);
    const pid = await s.readPid('iso_sleeper');
    const url = `${api}/dags/stop_isolated/dagRuns/${encodeURIComponent(runId)}`;

    const bad = await http(url, { method: 'PATCH', body: { state: 'running' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.detail, /state/);
    assert.equal((await cluster.store.runs.get('stop_isolated', runId))!.state, 'running');

    const marked = await http(url, { method: 'PATCH', body: { state: 'failed' } });
    assert.equal(marked.status, 200);
    assert.equal(marked.json.state, 'failed');
    assert.deepEqual(await s.states('stop_isolated', runId), { iso_sleeper: 'failed', pending: 'skipped' });
    await waitFor('the isolated bash process group to be gone', async () => !alive(pid) && !alive(-pid));
    await waitFor('the termination in the log', async () => /task instance state changed to failed from outside; terminating/.test(await s.log('stop_isolated', runId, 'iso_sleeper')));
    assert.equal((await cluster.store.runs.get('stop_isolated', runId))!.state, 'failed', 'the run stays failed');
    assert.deepEqual(await s.states('stop_isolated', runId), { iso_sleeper: 'failed', pending: 'skipped' }, "the killed try's late outcome changed nothing");

    // queued hands a finished run back to the scheduler, which finds nothing left to run and decides its state again.
    const queued = await http(url, { method: 'PATCH', body: { state: 'queued' } });
    assert.equal(queued.json.state, 'queued');
    await cluster.waitForRun('stop_isolated', runId);
  });

  it('dags test honours the same: a try it runs, marked success from outside, stops and the run goes on', async () => {
    const { cluster } = s;
    const before = new Set((await cluster.store.runs.list('stop_fn')).map((r) => r.runId));
    const local = startUpdraft(['dags', 'test', 'stop_fn'], cluster.env, cluster.logDir);
    cluster.processes.push(local);
    const run = await waitFor('the dags test run', async () => (await cluster.store.runs.list('stop_fn')).find((r) => !before.has(r.runId)));
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
    assert.deepEqual(await s.states('stop_paused', runId), { gate: 'success', then: 'success' });
  });
});
