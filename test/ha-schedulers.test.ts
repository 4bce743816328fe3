import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.ts';
import { dagFolderFrom, tempDir } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase } from './helpers/postgres.ts';
import { waitFor } from './helpers/processes.ts';

const NOW = '2026-06-04T12:00:00Z';
const pgAvailable = await postgresAnswers();
if (!pgAvailable && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

/** 24 hourly catchup runs of a 3-task chain, at most 4 at once. */
function haFolder(): string {
  const folder = tempDir('updraft-ha-dags-');
  writeFileSync(
    join(folder, 'ha.ts'),
    `
import { dag, chain } from 'updraft';
export const d = dag({ dagId: 'ha_catchup', schedule: '@hourly', startDate: '2026-06-03T12:00:00Z', catchup: true, maxActiveRuns: 4 });
chain(...['a', 'b', 'c'].map((id) => d.task(id, () => new Promise((r) => setTimeout(() => r(id), 50)))));
`,
  );
  return folder;
}

const lines = (file: string, pattern: RegExp): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => pattern.test(l));

describe('highly available schedulers', () => {
  it('PostgreSQL: two schedulers share the work; one killed with SIGKILL mid-run, the other carries on; no run twice, none lost, every try once', {
    skip: pgAvailable ? false : `no PostgreSQL at ${ADMIN_URL}`,
  }, async (t) => {
    const database = await throwawayDatabase();
    const cluster = await TestCluster.start(haFolder(), { UPDRAFT_DATABASE_URL: database.url, UPDRAFT_NOW: NOW });
    t.after(async () => {
      await cluster.stop();
      await database.drop();
    });
    const a = cluster.scheduler();
    const b = cluster.scheduler();
    cluster.worker(['--concurrency', '4']);
    cluster.worker(['--concurrency', '4']);
    await waitFor('a few runs done', async () => (await cluster.store.runs.list('ha_catchup', { state: 'success' })).length >= 4, 120_000);
    await a.stop('SIGKILL');
    const runs = await waitFor(
      'all 24 runs done',
      async () => {
        const all = await cluster.store.runs.list('ha_catchup');
        return all.length === 24 && all.every((r) => r.state === 'success' || r.state === 'failed') ? all : undefined;
      },
      180_000,
    );
    assert.equal(new Set(runs.map((r) => r.logicalDate)).size, 24, 'no run created twice');
    assert.ok(
      runs.every((r) => r.state === 'success'),
      'none lost',
    );
    for (const run of runs) {
      const tries = await cluster.tries('ha_catchup', run.runId);
      assert.deepEqual(
        tries.map((x) => [x.taskId, x.tryNumber, x.state]).sort(),
        [
          ['a', 1, 'success'],
          ['b', 1, 'success'],
          ['c', 1, 'success'],
        ],
        run.runId,
      );
    }
    const started = (file: string) => lines(file, /"task started"/).map((l) => JSON.parse(l) as { run_id: string; task_id: string });
    const all = cluster.processes
      .filter((p) => p.logFile.includes('worker'))
      .flatMap((p) => started(p.logFile))
      .map((l) => `${l.run_id}/${l.task_id}`);
    assert.equal(all.length, new Set(all).size, 'no try ran twice');
    assert.equal(lines(b.logFile, /standing by/).length, 0, 'on PostgreSQL every scheduler is active');
  });

  it('SQLite: a second scheduler stands by (one line), and takes over when the active one is killed', async (t) => {
    const cluster = await TestCluster.start(dagFolderFrom('recovery/recovery.ts'), { UPDRAFT_SCHEDULER_LEASE_SECONDS: '3' });
    t.after(() => cluster.stop());
    const active = cluster.scheduler();
    await waitFor('the first scheduler to start', async () => lines(active.logFile, /scheduler started/).length > 0);
    const standby = cluster.scheduler();
    await waitFor('the second to stand by', async () => lines(standby.logFile, /standing by/).length > 0);
    cluster.worker();
    const first = await cluster.trigger('steady_chain', { ms: 10 });
    assert.equal((await cluster.waitForRun('steady_chain', first)).state, 'success');
    assert.equal(lines(standby.logFile, /run started|scheduler started/).length, 0, 'the standby did nothing');

    await active.stop('SIGKILL');
    await waitFor('the standby to take over', async () => lines(standby.logFile, /taking over as the active scheduler/).length > 0);
    const second = await cluster.trigger('steady_chain', { ms: 10 });
    assert.equal((await cluster.waitForRun('steady_chain', second)).state, 'success');
    assert.equal(lines(standby.logFile, /standing by/).length, 1, 'said once');
  });
});
