import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.ts';
import { tempDir } from './helpers/cli.ts';
import { waitFor } from './helpers/processes.ts';

describe('runs the scheduler ends', () => {
  it('a run past its dagrunTimeout fails and its unfinished tasks are skipped', async (t) => {
    const folder = tempDir('updraft-timeout-dags-');
    writeFileSync(
      join(folder, 'timeout.ts'),
      `
import { setTimeout as sleep } from 'node:timers/promises';
import { dag } from 'updraft';
export const d = dag({ dagId: 'short_leash', dagrunTimeout: '2s' });
d.task('slow', (ctx) => sleep(60_000, undefined, { signal: ctx.signal })).to(d.empty('after'));
`,
    );
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    const scheduler = cluster.scheduler();
    cluster.worker();
    const runId = await cluster.trigger('short_leash');
    const run = await cluster.waitForRun('short_leash', runId);
    assert.equal(run.state, 'failed');
    const states = Object.fromEntries([...(await cluster.store.tasks.latestTries('short_leash', runId))].map(([id, ti]) => [id, ti.state]));
    assert.deepEqual(states, { slow: 'skipped', after: 'skipped' });
    await waitFor('the log line', async () => /run timed out \(dagrunTimeout\)/.test(readFileSync(scheduler.logFile, 'utf8')));
  });
});
