import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { cliJson, dagFolderFrom, tempDir } from './helpers/cli.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';
import { startRedis } from './helpers/redis.ts';

/** A server to create a throw-away database on: `UPDRAFT_TEST_POSTGRES_URL`, else the local one (trust auth). */
const ADMIN_URL = process.env.UPDRAFT_TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const available = await postgresAnswers();

describe('the store on PostgreSQL (UPDRAFT_DATABASE_URL)', { skip: available ? false : `no PostgreSQL answers at ${ADMIN_URL}` }, () => {
  const database = `updraft_test_${randomBytes(4).toString('hex')}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const folder = dagFolderFrom('features/features.ts');
  const env = { UPDRAFT_DATABASE_URL: url.toString(), UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder };

  before(() => admin(`create database ${database}`));
  after(() => admin(`drop database if exists ${database} with (force)`));

  it('dags test with retries and a branch: every try recorded', async () => {
    const retried = await cliJson<{ state: string; task_instances: Array<{ try_number: number; state: string }> }>(['dags', 'test', 'retry_then_succeed', '--retry-delay-scale', '0'], env);
    assert.equal(retried.state, 'success');
    assert.deepEqual(retried.task_instances.map((t) => [t.try_number, t.state]), [[1, 'up_for_retry'], [2, 'up_for_retry'], [3, 'success']]);
    const branched = await cliJson<{ state: string }>(['dags', 'test', 'branch_join'], env);
    assert.equal(branched.state, 'success');
  });

  it('scheduler and two workers run a triggered DAG to success', async () => {
    const redis = await startRedis();
    const cluster = { ...env, REDIS_URL: redis.url, UPDRAFT_REDIS_PREFIX: redis.prefix };
    const logs = tempDir();
    const processes = [startUpdraft(['scheduler'], cluster, logs), startUpdraft(['worker'], cluster, logs), startUpdraft(['worker'], cluster, logs)];
    try {
      const run = await cliJson<{ run_id: string }>(['dags', 'trigger', 'branch_join', '--conf', '{"side": "right"}'], cluster);
      await waitFor('the run to finish', async () => {
        const state = (await cliJson<{ state: string }>(['dags', 'state', 'branch_join', run.run_id, '--output', 'json'], cluster)).state;
        return state === 'success' || state === 'failed' ? state : undefined;
      });
      const tries = await cliJson<Array<{ task_id: string; state: string }>>(['tasks', 'states-for-dag-run', 'branch_join', run.run_id, '--output', 'json'], cluster);
      assert.equal((await cliJson<{ state: string }>(['dags', 'state', 'branch_join', run.run_id, '--output', 'json'], cluster)).state, 'success', JSON.stringify(tries));
      assert.ok(tries.some((t) => t.state === 'skipped'), 'the branch skipped a side');
    } finally {
      await Promise.all(processes.map((p) => p.stop('SIGTERM')));
      await redis.stop();
    }
  });
});
