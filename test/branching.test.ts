import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cliJson, dagFolderFrom, tempDir } from './helpers/cli.ts';

const folder = dagFolderFrom('branching/branching.ts');

describe('branching as Airflow (skip_all_except)', () => {
  it('a direct downstream of the branch that is also downstream of the followed task runs; the path not followed is skipped', async () => {
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder };
    const run = await cliJson<{ state: string; task_instances: Array<{ task_id: string; state: string }> }>(
      ['dags', 'test', 'join_after_branch'],
      env,
    );
    assert.equal(run.state, 'success');
    assert.deepEqual(Object.fromEntries(run.task_instances.map((t) => [t.task_id, t.state])), {
      branch: 'success',
      task1: 'success',
      join: 'success',
      other: 'skipped',
    });
  });
});
