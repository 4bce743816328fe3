import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { waitFor } from './helpers/processes.ts';
import { http, startWebserverProcess } from './helpers/webserver.ts';

/** True while a process (pid > 0) or a process group (pid < 0) has a member. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
};

const pids = tempDir('updraft-stop-pids-');
const pidFile = (name: string): string => join(pids, `${name}.pid`);
const readPid = (name: string): Promise<number> =>
  waitFor(`${name}'s pid file`, async () => existsSync(pidFile(name)) && Number(readFileSync(pidFile(name), 'utf8').trim()) > 0 && Number(readFileSync(pidFile(name), 'utf8').trim()));
/** `$$` is bash's pid and, bash leading its own process group, the group id; `sleep` runs as its child. */
const sleeper = (name: string): string => `echo $$ > ${pidFile(name)}; sleep 600 & wait`;

const folder = tempDir('updraft-stop-dags-');
writeFileSync(join(folder, 'stoppable.ts'), `
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { dag } from 'updraft';

export const bash = dag({ dagId: 'stop_bash' });
bash.bash('sleeper', ${JSON.stringify(sleeper('sleeper'))}).to(bash.empty('after'));

export const isolated = dag({ dagId: 'stop_isolated' });
isolated.bash('iso_sleeper', ${JSON.stringify(sleeper('iso_sleeper'))}, { isolation: 'process' }).to(isolated.empty('pending'));

export const fn = dag({ dagId: 'stop_fn' });
fn.task('waiter', (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))).to(fn.task('downstream', () => 'ran'));

// Waits for a file, so the test decides when the first task ends.
export const gated = dag({ dagId: 'stop_paused' });
gated.task('gate', async (ctx) => {
  while (!existsSync(${JSON.stringify(join(pids, 'open'))})) await sleep(100, undefined, { signal: ctx.signal });
}).to(gated.task('then', () => 'ran'));
`);

describe('stop and mark: task instances and runs set from outside', () => {
  let cluster: TestCluster;
  let api: string;

  before(async () => {
    cluster = await TestCluster.start(folder);
    cluster.scheduler();
    cluster.worker(['--concurrency', '4']);
    const web = await startWebserverProcess(cluster.env, cluster.logDir);
    cluster.processes.push(web.process);
    api = `${web.url}/api/v1`;
  });

  after(async () => {
    // A bash task's process group outlives a SIGKILLed worker: never leave one behind, even when a test failed.
    for (const name of ['sleeper', 'iso_sleeper']) {
      const pid = existsSync(pidFile(name)) ? Number(readFileSync(pidFile(name), 'utf8').trim()) : 0;
      if (pid > 0 && alive(-pid)) process.kill(-pid, 'SIGKILL');
    }
    await cluster?.stop();
  });

  const state = async (dagId: string, runId: string): Promise<Record<string, string>> =>
    Object.fromEntries([...(await cluster.store.tasks.latestTries(dagId, runId))].map(([id, ti]) => [id, ti.state]));

  it('a sleep 600 bash task marked failed with the CLI is killed (no process left), its log says why, the run fails', async () => {
    const runId = await cluster.trigger('stop_bash');
    await cluster.waitForTask('stop_bash', runId, 'sleeper', ['running']);
    const pid = await readPid('sleeper');
    assert.ok(alive(pid) && alive(-pid), 'the bash task runs');

    const bad = await runCli(['tasks', 'set-state', 'stop_bash', runId, 'sleeper', 'running'], cluster.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^updraft: error: .*cannot set a task instance to 'running' \(use success or failed\)\n$/);
    assert.equal((await state('stop_bash', runId)).sleeper, 'running', 'a refused state changes nothing');

    const dry = await cluster.cli<Array<Record<string, unknown>>>(['tasks', 'set-state', 'stop_bash', runId, 'sleeper', 'failed', '--dry-run']);
    assert.deepEqual(dry.map((r) => [r.task_id, r.previous_state, r.new_state]), [['sleeper', 'running', 'failed']]);
    assert.equal((await state('stop_bash', runId)).sleeper, 'running', 'a dry run changes nothing');

    const marked = await cluster.cli<Array<Record<string, unknown>>>(['tasks', 'set-state', 'stop_bash', runId, 'sleeper', 'failed', '-y']);
    assert.deepEqual(marked.map((r) => [r.task_id, r.try_number, r.previous_state, r.new_state]), [['sleeper', 1, 'running', 'failed']]);

    await waitFor('the bash process group to be gone', async () => !alive(pid) && !alive(-pid));
    const run = await cluster.waitForRun('stop_bash', runId);
    assert.equal(run.state, 'failed');
    assert.deepEqual(await state('stop_bash', runId), { sleeper: 'failed', after: 'upstream_failed' });
    const log = await waitFor('the termination in the log', async () => {
      const text = await cluster.store.logs.read({ dagId: 'stop_bash', runId, taskId: 'sleeper', tryNumber: 1 });
      return /task instance state changed to failed from outside; terminating/.test(text) && text;
    });
    assert.doesNotMatch(log, /Marking task as/, "the killed try's own outcome was never recorded");
    const [ti] = await cluster.tries('stop_bash', runId).then((all) => all.filter((t) => t.taskId === 'sleeper'));
    assert.equal(ti!.state, 'failed');
    assert.equal(ti!.error, null, 'the late "killed by SIGTERM" outcome did not overwrite the marked state');

    // Deleting the finished run with the CLI removes its tries and logs.
    const deleted = await cluster.cli<{ deleted: boolean; task_instances_deleted: number }>(['dags', 'delete-run', 'stop_bash', runId, '-y']);
    assert.deepEqual([deleted.deleted, deleted.task_instances_deleted], [true, 2]);
    assert.equal(await cluster.store.runs.get('stop_bash', runId), undefined);
    assert.deepEqual(await cluster.tries('stop_bash', runId), []);
    assert.equal(await cluster.store.logs.read({ dagId: 'stop_bash', runId, taskId: 'sleeper', tryNumber: 1 }), '');
    const again = await runCli(['dags', 'delete-run', 'stop_bash', runId, '-y'], cluster.env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^updraft: error: DAG 'stop_bash' has no run '.*'\n$/);
  });

  it('a function task awaiting ctx.signal marked success with REST PATCH stops, and its downstream runs; dry_run changes nothing', async () => {
    const runId = await cluster.trigger('stop_fn');
    await cluster.waitForTask('stop_fn', runId, 'waiter', ['running']);
    const url = `${api}/dags/stop_fn/dagRuns/${encodeURIComponent(runId)}/taskInstances/waiter`;

    const dry = await http(url, { method: 'PATCH', body: { new_state: 'success', dry_run: true } });
    assert.equal(dry.status, 200);
    assert.deepEqual(dry.json.task_instances.map((r: Record<string, unknown>) => [r.task_id, r.previous_state, r.new_state]), [['waiter', 'running', 'success']]);
    assert.deepEqual(await state('stop_fn', runId), { waiter: 'running', downstream: 'none' }, 'a dry run changes nothing');

    assert.equal((await http(url, { method: 'PATCH', body: { new_state: 'running', dry_run: false } })).status, 400);
    assert.equal((await http(url, { method: 'PATCH', body: { state: 'success' } })).status, 400);
    assert.equal((await http(`${api}/dags/stop_fn/dagRuns/${encodeURIComponent(runId)}/taskInstances/nope`, { method: 'PATCH', body: { new_state: 'success' } })).status, 404);

    const marked = await http(url, { method: 'PATCH', body: { new_state: 'success', dry_run: false } });
    assert.equal(marked.status, 200);
    assert.equal(marked.json.total_entries, 1);
    const run = await cluster.waitForRun('stop_fn', runId);
    assert.equal(run.state, 'success');
    assert.deepEqual(await state('stop_fn', runId), { waiter: 'success', downstream: 'success' });
    assert.deepEqual(Object.fromEntries(await cluster.store.xcom.forRun('stop_fn', runId)), { downstream: 'ran' });
    await waitFor('the termination in the log', async () =>
      /task instance state changed to success from outside; terminating/.test(await cluster.store.logs.read({ dagId: 'stop_fn', runId, taskId: 'waiter', tryNumber: 1 })));

    // DELETE: 204 and gone; unknown runs 404.
    const runUrl = `${api}/dags/stop_fn/dagRuns/${encodeURIComponent(runId)}`;
    const deleted = await http(runUrl, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal((await http(runUrl)).status, 404);
    assert.equal((await http(runUrl, { method: 'DELETE' })).status, 404);
    assert.deepEqual(await cluster.tries('stop_fn', runId), []);
  });

  it('a run marked failed with REST PATCH terminates its process-isolated running try (process killed) and skips the rest', async () => {
    const runId = await cluster.trigger('stop_isolated');
    await cluster.waitForTask('stop_isolated', runId, 'iso_sleeper', ['running']);
    const pid = await readPid('iso_sleeper');
    const url = `${api}/dags/stop_isolated/dagRuns/${encodeURIComponent(runId)}`;

    const bad = await http(url, { method: 'PATCH', body: { state: 'running' } });
    assert.equal(bad.status, 400);
    assert.match(bad.json.detail, /state/);
    assert.equal((await cluster.store.runs.get('stop_isolated', runId))!.state, 'running');

    const marked = await http(url, { method: 'PATCH', body: { state: 'failed' } });
    assert.equal(marked.status, 200);
    assert.equal(marked.json.state, 'failed');
    assert.deepEqual(await state('stop_isolated', runId), { iso_sleeper: 'failed', pending: 'skipped' });
    await waitFor('the isolated bash process group to be gone', async () => !alive(pid) && !alive(-pid));
    await waitFor('the termination in the log', async () =>
      /task instance state changed to failed from outside; terminating/.test(await cluster.store.logs.read({ dagId: 'stop_isolated', runId, taskId: 'iso_sleeper', tryNumber: 1 })));
    assert.equal((await cluster.store.runs.get('stop_isolated', runId))!.state, 'failed', 'the run stays failed');
    assert.deepEqual(await state('stop_isolated', runId), { iso_sleeper: 'failed', pending: 'skipped' }, "the killed try's late outcome changed nothing");

    // queued hands a finished run back to the scheduler, which finds nothing left to run and decides its state again.
    const queued = await http(url, { method: 'PATCH', body: { state: 'queued' } });
    assert.equal(queued.json.state, 'queued');
    await cluster.waitForRun('stop_isolated', runId);
  });

  it('pausing a DAG stops new runs, not the running one', async () => {
    const runId = await cluster.trigger('stop_paused');
    await cluster.waitForTask('stop_paused', runId, 'gate', ['running']);
    assert.equal((await runCli(['dags', 'pause', 'stop_paused'], cluster.env)).code, 0);
    writeFileSync(join(pids, 'open'), '');
    const run = await cluster.waitForRun('stop_paused', runId);
    assert.equal(run.state, 'success');
    assert.deepEqual(await state('stop_paused', runId), { gate: 'success', then: 'success' });
  });
});
