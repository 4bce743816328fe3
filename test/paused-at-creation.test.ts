import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { cliJson, runCli, tempDir } from './helpers/cli.ts';

function folderWith(): string {
  const folder = tempDir('updraft-paused-dags-');
  writeFileSync(join(folder, 'dags.ts'), `
import { dag } from 'updraft';
export const plain = dag({ dagId: 'plain', schedule: '@daily', startDate: '2026-06-01', catchup: true });
plain.empty('a');
export const eager = dag({ dagId: 'eager', schedule: '@daily', startDate: '2026-06-01', isPausedUponCreation: false });
eager.empty('a');
`);
  return folder;
}
const paused = async (env: Record<string, string>) =>
  Object.fromEntries((await cliJson<Array<{ dag_id: string; is_paused: boolean }>>(['dags', 'list'], env)).map((d) => [d.dag_id, d.is_paused]));

describe("new DAGs start paused (Airflow's dags_are_paused_at_creation)", () => {
  it('by default a new DAG is paused; isPausedUponCreation: false overrides; later parses keep the flag an operator set', async () => {
    // The test runner sets the variable to false for the other tests: unset it here ('' means unset).
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folderWith(), UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: '' };
    assert.deepEqual(await paused(env), { eager: false, plain: true });
    assert.equal((await runCli(['dags', 'unpause', 'plain'], env)).code, 0);
    await cliJson(['dags', 'reserialize'], env);
    assert.deepEqual(await paused(env), { eager: false, plain: false }, 'a reparse never pauses a DAG again');
  });

  it('UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION=false: new DAGs start unpaused', async () => {
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folderWith(), UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'false' };
    assert.deepEqual(await paused(env), { eager: false, plain: false });
  });
});
