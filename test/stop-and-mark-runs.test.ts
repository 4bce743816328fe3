import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitFor } from './helpers/processes.ts';
import { alive, StoppableCluster } from './helpers/stoppable.ts';
import { http } from './helpers/webserver.ts';

describe('stop and mark: runs set from outside', () => {
  let s: StoppableCluster;
  before(async () => {
    s = await StoppableCluster.start();
  });
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
    await waitFor('the termination in the log', async () =>
      /task instance state changed to failed from outside; terminating/.test(await s.log('stop_isolated', runId, 'iso_sleeper')),
    );
    assert.equal((await cluster.store.runs.get('stop_isolated', runId))!.state, 'failed', 'the run stays failed');
    assert.deepEqual(
      await s.states('stop_isolated', runId),
      { iso_sleeper: 'failed', pending: 'skipped' },
      "the killed try's late outcome changed nothing",
    );

    // queued hands a finished run back to the scheduler, which finds nothing left to run and decides its state again.
    const queued = await http(url, { method: 'PATCH', body: { state: 'queued' } });
    assert.equal(queued.json.state, 'queued');
    await cluster.waitForRun('stop_isolated', runId);
  });
});
