import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/cli.ts';
import { waitFor } from './helpers/processes.ts';
import { alive, StoppableCluster } from './helpers/stoppable.ts';
import { http } from './helpers/webserver.ts';

describe('stop and mark: task instances set from outside are terminated by their workers', () => {
  let s: StoppableCluster;
  before(async () => {
    s = await StoppableCluster.start();
  });
  after(() => s?.stop());

  it('a sleep 600 bash task marked failed with the CLI is killed (no process left), its log says why, the run fails; delete-run removes it', async () => {
    const { cluster } = s;
    const runId = await cluster.trigger('stop_bash');
    await cluster.waitForTask('stop_bash', runId, 'sleeper', ['running']);
    const pid = await s.readPid('sleeper');
    assert.ok(alive(pid) && alive(-pid), 'the bash task runs');

    const bad = await runCli(['tasks', 'set-state', 'stop_bash', runId, 'sleeper', 'running'], cluster.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^updraft: error: .*cannot set a task instance to 'running' \(use success or failed\)\n$/);

    const dry = await cluster.cli<Array<Record<string, unknown>>>([
      'tasks',
      'set-state',
      'stop_bash',
      runId,
      'sleeper',
      'failed',
      '--dry-run',
    ]);
    assert.deepEqual(
      dry.map((r) => [r.task_id, r.previous_state, r.new_state]),
      [['sleeper', 'running', 'failed']],
    );
    assert.equal((await s.states('stop_bash', runId)).sleeper, 'running', 'a refused state and a dry run change nothing');

    const marked = await cluster.cli<Array<Record<string, unknown>>>(['tasks', 'set-state', 'stop_bash', runId, 'sleeper', 'failed', '-y']);
    assert.deepEqual(
      marked.map((r) => [r.task_id, r.try_number, r.previous_state, r.new_state]),
      [['sleeper', 1, 'running', 'failed']],
    );

    await waitFor('the bash process group to be gone', async () => !alive(pid) && !alive(-pid));
    assert.equal((await cluster.waitForRun('stop_bash', runId)).state, 'failed');
    assert.deepEqual(await s.states('stop_bash', runId), { sleeper: 'failed', after: 'upstream_failed' });
    const log = await waitFor('the termination in the log', async () => {
      const text = await s.log('stop_bash', runId, 'sleeper');
      return /task instance state changed to failed from outside; terminating/.test(text) && text;
    });
    assert.doesNotMatch(log, /Marking task as/, "the killed try's own outcome was never recorded");
    const sleeper = (await cluster.tries('stop_bash', runId)).find((t) => t.taskId === 'sleeper')!;
    assert.deepEqual(
      [sleeper.state, sleeper.error],
      ['failed', null],
      'the late "killed by SIGTERM" outcome did not overwrite the marked state',
    );

    const deleted = await cluster.cli<{ deleted: boolean; task_instances_deleted: number }>([
      'dags',
      'delete-run',
      'stop_bash',
      runId,
      '-y',
    ]);
    assert.deepEqual([deleted.deleted, deleted.task_instances_deleted], [true, 2]);
    assert.equal(await cluster.store.runs.get('stop_bash', runId), undefined);
    assert.deepEqual(await cluster.tries('stop_bash', runId), []);
    assert.equal(await s.log('stop_bash', runId, 'sleeper'), '', 'its logs went with it');
  });

  it('a function task awaiting ctx.signal marked success with REST PATCH stops, and its downstream runs; dry_run changes nothing; DELETE', async () => {
    const { cluster, api } = s;
    const runId = await cluster.trigger('stop_fn');
    await cluster.waitForTask('stop_fn', runId, 'waiter', ['running']);
    const runUrl = `${api}/dags/stop_fn/dagRuns/${encodeURIComponent(runId)}`;
    const url = `${runUrl}/taskInstances/waiter`;

    const dry = await http(url, { method: 'PATCH', body: { new_state: 'success', dry_run: true } });
    assert.equal(dry.status, 200);
    assert.deepEqual(
      dry.json.task_instances.map((r: Record<string, unknown>) => [r.task_id, r.previous_state, r.new_state]),
      [['waiter', 'running', 'success']],
    );
    assert.deepEqual(await s.states('stop_fn', runId), { waiter: 'running', downstream: 'none' }, 'a dry run changes nothing');

    assert.equal((await http(url, { method: 'PATCH', body: { new_state: 'running', dry_run: false } })).status, 400);
    assert.equal((await http(url, { method: 'PATCH', body: { state: 'success' } })).status, 400);
    assert.equal((await http(`${runUrl}/taskInstances/nope`, { method: 'PATCH', body: { new_state: 'success' } })).status, 404);

    const marked = await http(url, { method: 'PATCH', body: { new_state: 'success', dry_run: false } });
    assert.equal(marked.status, 200);
    assert.equal(marked.json.total_entries, 1);
    assert.equal((await cluster.waitForRun('stop_fn', runId)).state, 'success');
    assert.deepEqual(await s.states('stop_fn', runId), { waiter: 'success', downstream: 'success' });
    assert.deepEqual(Object.fromEntries(await cluster.store.xcom.forRun('stop_fn', runId)), { downstream: 'ran' });
    await waitFor('the termination in the log', async () =>
      /task instance state changed to success from outside; terminating/.test(await s.log('stop_fn', runId, 'waiter')),
    );

    const deleted = await http(runUrl, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal((await http(runUrl)).status, 404);
    assert.equal((await http(runUrl, { method: 'DELETE' })).status, 404);
    assert.deepEqual(await cluster.tries('stop_fn', runId), []);
  });
});
