import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { waitFor } from './helpers/processes.ts';

/** A daily DAG whose one task sleeps `conf.ms`, giving up when its try is aborted. */
function slowDailyFolder(): string {
  const folder = tempDir('updraft-backfill-dags-');
  writeFileSync(
    join(folder, 'slow_daily.ts'),
    `import { setTimeout as sleep } from 'node:timers/promises';
import { dag } from 'updraft';
const d = dag({ dagId: 'slow_daily', schedule: '@daily', startDate: '2026-06-01', catchup: false, params: { ms: 0 } });
d.task('work', async (ctx) => { await sleep(Number(ctx.params.ms), undefined, { signal: ctx.signal }); return ctx.runId; });
export default d;
`,
  );
  return folder;
}

const BACKFILL = ['dags', 'backfill', 'slow_daily', '-s', '2026-05-01', '-e', '2026-05-03', '--via-scheduler'];

describe('dags backfill --via-scheduler never hangs', () => {
  it('refuses in one line, creating nothing, when no scheduler beats or the DAG is paused', async (t) => {
    const cluster = await TestCluster.start(slowDailyFolder());
    t.after(() => cluster.stop());
    const none = await runCli([...BACKFILL, '--wait'], cluster.env);
    assert.equal(none.code, 1);
    assert.match(
      none.stderr,
      /^updraft: error: no scheduler has a heartbeat in the last 30 s \(none ever\): start 'updraft scheduler', or backfill here without --via-scheduler; no run was created\n$/,
    );
    assert.deepEqual(await cluster.store.runs.list('slow_daily'), []);

    assert.equal((await runCli(['dags', 'pause', 'slow_daily'], cluster.env)).code, 0);
    const paused = await runCli(BACKFILL, cluster.env);
    assert.equal(paused.code, 1);
    assert.match(paused.stderr, /^updraft: error: DAG 'slow_daily' is paused, so the scheduler starts none of its runs: [^\n]*\n$/);
    assert.deepEqual(await cluster.store.runs.list('slow_daily'), []);

    const wrong = await runCli(['dags', 'backfill', 'slow_daily', '-s', '2026-05-01', '-e', '2026-05-01', '--no-wait'], cluster.env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^updraft: error: --no-wait goes with --via-scheduler/);
  });

  it('--wait follows the runs to the end; --no-wait hands them over in one line and the scheduler runs them', async (t) => {
    const cluster = await TestCluster.start(slowDailyFolder());
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.worker();
    await waitFor('a scheduler heartbeat', async () => (await cluster.store.schedulerJobs.latest('SchedulerJob')) !== undefined);

    const waited = await runCli([...BACKFILL, '--wait', '-o', 'json'], cluster.env);
    assert.equal(waited.code, 0, waited.stderr);
    const rows = JSON.parse(waited.stdout) as Array<{ run_id: string; logical_date: string; state: string }>;
    assert.deepEqual(
      rows.map((r) => [r.logical_date, r.state]),
      [
        ['2026-05-01T00:00:00.000Z', 'success'],
        ['2026-05-02T00:00:00.000Z', 'success'],
        ['2026-05-03T00:00:00.000Z', 'success'],
      ],
    );
    for (const r of rows) assert.equal((await cluster.store.runs.get('slow_daily', r.run_id))?.executor, null, 'the scheduler ran it');

    // Off a terminal the default is --no-wait.
    const handed = await runCli(['dags', 'backfill', 'slow_daily', '-s', '2026-04-01', '-e', '2026-04-02', '--via-scheduler'], cluster.env);
    assert.equal(handed.code, 0, handed.stderr);
    assert.equal(
      handed.stdout,
      "handed 2 run(s) of slow_daily to the scheduler: backfill__2026-04-01T00:00:00.000Z, backfill__2026-04-02T00:00:00.000Z ('updraft dags list-runs slow_daily' shows them)\n",
    );
    for (const runId of ['backfill__2026-04-01T00:00:00.000Z', 'backfill__2026-04-02T00:00:00.000Z']) {
      assert.equal((await cluster.waitForRun('slow_daily', runId)).state, 'success');
    }
  });

  it("stops waiting with one line when the scheduler dies mid-backfill; the runs stay the scheduler's", async (t) => {
    const cluster = await TestCluster.start(slowDailyFolder());
    t.after(() => cluster.stop());
    const scheduler = cluster.scheduler();
    cluster.worker();
    await waitFor('a scheduler heartbeat', async () => (await cluster.store.schedulerJobs.latest('SchedulerJob')) !== undefined);
    const waiting = runCli([...BACKFILL, '--wait', '--conf', '{"ms": 600000}'], cluster.env);
    await waitFor('a backfill task running', async () => {
      for (const run of await cluster.store.runs.list('slow_daily')) {
        if ((await cluster.store.tasks.latestTries('slow_daily', run.runId)).get('work')?.state === 'running') return true;
      }
      return false;
    });
    await scheduler.stop('SIGKILL');
    const r = await waiting;
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /^updraft: error: stopped waiting: no scheduler has a heartbeat \(last heartbeat [^)]+\); 3 of 3 run\(s\) unfinished stay with the scheduler and go on when 'updraft scheduler' runs\n$/,
    );
    assert.equal((await cluster.store.runs.list('slow_daily')).filter((run) => run.runType === 'backfill').length, 3);
  });
});
