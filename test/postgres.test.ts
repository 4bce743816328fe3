import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cliJson, dagFolderFrom, tempDir } from './helpers/cli.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase, type ThrowawayDatabase } from './helpers/postgres.ts';
import { startRedis } from './helpers/redis.ts';

const available = await postgresAnswers();
// Under CI a missing PostgreSQL is a failure, not a skip (.ci/run starts the machine's server).
if (!available && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

describe('the store on PostgreSQL (UPDRAFT_DATABASE_URL)', { skip: available ? false : `no PostgreSQL answers at ${ADMIN_URL}` }, () => {
  const folder = dagFolderFrom('features/features.ts');
  const env: Record<string, string> = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder };
  let database: ThrowawayDatabase | undefined;

  before(async () => {
    database = await throwawayDatabase();
    env.UPDRAFT_DATABASE_URL = database.url;
  });
  after(() => database?.drop());

  it('dags test with retries and a branch: every try recorded', async () => {
    const retried = await cliJson<{ state: string; task_instances: Array<{ try_number: number; state: string }> }>(
      ['dags', 'test', 'retry_then_succeed', '--retry-delay-scale', '0'],
      env,
    );
    assert.equal(retried.state, 'success');
    assert.deepEqual(
      retried.task_instances.map((t) => [t.try_number, t.state]),
      [
        [1, 'up_for_retry'],
        [2, 'up_for_retry'],
        [3, 'success'],
      ],
    );
    const branched = await cliJson<{ state: string }>(['dags', 'test', 'branch_join'], env);
    assert.equal(branched.state, 'success');
  });

  it('scheduler and two workers run a triggered DAG to success', async () => {
    const redis = await startRedis();
    const cluster = { ...env, REDIS_URL: redis.url, UPDRAFT_REDIS_PREFIX: redis.prefix };
    const logs = tempDir();
    const processes = [
      startUpdraft(['scheduler'], cluster, logs),
      startUpdraft(['worker'], cluster, logs),
      startUpdraft(['worker'], cluster, logs),
    ];
    try {
      const run = await cliJson<{ run_id: string }>(['dags', 'trigger', 'branch_join', '--conf', '{"side": "right"}'], cluster);
      await waitFor('the run to finish', async () => {
        const state = (await cliJson<{ state: string }>(['dags', 'state', 'branch_join', run.run_id, '--output', 'json'], cluster)).state;
        return state === 'success' || state === 'failed' ? state : undefined;
      });
      const tries = await cliJson<Array<{ task_id: string; state: string }>>(
        ['tasks', 'states-for-dag-run', 'branch_join', run.run_id, '--output', 'json'],
        cluster,
      );
      assert.equal(
        (await cliJson<{ state: string }>(['dags', 'state', 'branch_join', run.run_id, '--output', 'json'], cluster)).state,
        'success',
        JSON.stringify(tries),
      );
      assert.ok(
        tries.some((t) => t.state === 'skipped'),
        'the branch skipped a side',
      );
    } finally {
      await Promise.all(processes.map((p) => p.stop('SIGTERM')));
      await redis.stop();
    }
  });
});
