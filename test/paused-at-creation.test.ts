import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliJson, runCli, tempDir } from './helpers/cli.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';

function folderWith(): string {
  const folder = tempDir('updraft-paused-dags-');
  writeFileSync(
    join(folder, 'dags.ts'),
    `
import { dag } from 'updraft';
export const plain = dag({ dagId: 'plain', schedule: '@daily', startDate: '2026-06-01', catchup: true });
plain.empty('a');
export const eager = dag({ dagId: 'eager', schedule: '@daily', startDate: '2026-06-01', isPausedUponCreation: false });
eager.empty('a');
`,
  );
  return folder;
}
const paused = async (env: Record<string, string>) =>
  Object.fromEntries(
    (await cliJson<Array<{ dag_id: string; is_paused: boolean }>>(['dags', 'list'], env)).map((d) => [d.dag_id, d.is_paused]),
  );

describe("new DAGs start paused (Airflow's dags_are_paused_at_creation)", () => {
  // Unpausing wakes the scheduler through Redis: a private one, never the machine's 6379.
  let redis: TestRedis;
  before(async () => (redis = await startRedis()));
  after(async () => redis?.stop());

  it('by default a new DAG is paused; isPausedUponCreation: false overrides; later parses keep the flag an operator set', async () => {
    // The test runner sets the variable to false for the other tests: unset it here ('' means unset).
    const env = {
      UPDRAFT_HOME: tempDir(),
      UPDRAFT_DAGS_FOLDER: folderWith(),
      UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: '',
      REDIS_URL: redis.url,
      UPDRAFT_REDIS_PREFIX: redis.prefix,
    };
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
