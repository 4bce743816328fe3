import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../engine/store/store.ts';
import { FIXTURES, tempDir } from './helpers/cli.ts';
import { createHosts, hostsUnavailable, type TestHosts } from './helpers/hosts.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase } from './helpers/postgres.ts';
import { waitFor } from './helpers/processes.ts';
import { startRedis } from './helpers/redis.ts';

const why = hostsUnavailable() ?? ((await postgresAnswers()) ? null : `no PostgreSQL at ${ADMIN_URL}`);
if (why && process.env.CI) throw new Error(`CI is set but separate hosts cannot be tested: ${why}`);

/** Each host gets its own UPDRAFT_HOME and its own copy of the DAG files (as git-sync deploys them); nothing else is shared but Redis and PostgreSQL. */
function hostEnv(shared: Record<string, string>, fixtures: string[]): Record<string, string> {
  const home = tempDir('updraft-host-');
  const dags = join(home, 'dags');
  mkdirSync(dags);
  for (const f of fixtures) cpSync(join(FIXTURES, f), join(dags, f.split('/').pop()!));
  return { ...shared, UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: dags };
}

describe('several hosts (network namespaces) sharing only Redis and PostgreSQL', { skip: why ?? false }, () => {
  it('schedulers and workers on separate hosts: XCom crosses hosts; a scheduler host and a worker host killed mid-run are taken over by the others', async (t) => {
    const redis = await startRedis();
    const database = await throwawayDatabase();
    let hosts: TestHosts | undefined;
    let store: Store | undefined;
    t.after(async () => {
      await hosts?.cleanup();
      await store?.close();
      await redis.stop();
      await database.drop();
    });
    hosts = await createHosts(3);
    const redisAt = await hosts.publish({ host: '127.0.0.1', port: Number(new URL(redis.url).port) });
    const pgAt = await hosts.publish({ host: '127.0.0.1', port: Number(new URL(ADMIN_URL).port || 5432) });
    const url = new URL(database.url);
    url.host = pgAt;
    const shared = {
      REDIS_URL: `redis://${redisAt}`, UPDRAFT_REDIS_PREFIX: redis.prefix, UPDRAFT_DATABASE_URL: url.toString(),
      UPDRAFT_WORKER_LOCK_SECONDS: '2', UPDRAFT_RECONCILE_SECONDS: '1',
    };
    const fixtures = ['features/features.ts', 'recovery/recovery.ts'];
    const [schedulerHost, hostA, hostB] = hosts.names as [string, string, string];
    const logs = tempDir('updraft-hosts-logs-');
    const scheduling = hostEnv(shared, fixtures);
    const firstScheduler = hosts.start(schedulerHost, ['scheduler'], scheduling, logs);
    // A second scheduler on another host (PostgreSQL: both active, row locks divide the work).
    hosts.start(hostB, ['scheduler'], hostEnv(shared, fixtures), logs);
    const workerA = hosts.start(hostA, ['worker', '--concurrency', '1'], hostEnv(shared, fixtures), logs);
    const workerB = hosts.start(hostB, ['worker', '--concurrency', '1'], hostEnv(shared, fixtures), logs);
    store = await Store.open({ url: database.url });

    const trigger = async (dagId: string, conf: object): Promise<string> => {
      const r = await hosts!.run(schedulerHost, ['dags', 'trigger', dagId, '--conf', JSON.stringify(conf), '-o', 'json'], scheduling);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { run_id: string }).run_id;
    };
    const finished = (dagId: string, runId: string) => waitFor(`${dagId} ${runId}`, async () => {
      const run = await store!.runs.get(dagId, runId);
      return run && (run.state === 'success' || run.state === 'failed') ? run : undefined;
    }, 60_000);

    const joinRuns = [await trigger('branch_join', { side: 'left' }), await trigger('branch_join', { side: 'right' })];
    const workers = new Set<string>();
    for (const [i, runId] of joinRuns.entries()) {
      assert.equal((await finished('branch_join', runId)).state, 'success');
      // left: start's 20 reaches left (x2 + 2) and join (+1) through the store, whichever hosts ran them.
      assert.deepEqual((await store!.xcom.forRun('branch_join', runId)).get('join'), { total: i === 0 ? 43 : 1 }, 'XCom crossed hosts through the store');
      for (const ti of await store!.tasks.allTries('branch_join', runId)) if (ti.workerId) workers.add(ti.workerId);
    }
    assert.equal(workers.size, 2, 'both worker hosts ran tasks');

    // The first scheduler's host dies: the other scheduler carries on. Then the slow task's
    // worker host dies (SIGKILL): the try is failed as lost and retried on the other.
    await firstScheduler.stop('SIGKILL');
    const slowRun = await trigger('slow_task', { ms: 6000 });
    const running = await waitFor('slow running', async () => {
      const ti = (await store!.tasks.latestTries('slow_task', slowRun)).get('slow');
      return ti?.state === 'running' ? ti : undefined;
    }, 60_000);
    const victim = [workerA, workerB].find((p) => running.workerId?.endsWith(`:${p.pid}`));
    assert.ok(victim, `slow runs on one of the worker hosts (${running.workerId})`);
    await victim.stop('SIGKILL');
    assert.equal((await finished('slow_task', slowRun)).state, 'success');
    const slow = (await store!.tasks.allTries('slow_task', slowRun)).filter((x) => x.taskId === 'slow');
    assert.deepEqual(slow.map((x) => [x.tryNumber, x.state]), [[1, 'up_for_retry'], [2, 'success']]);
    assert.notEqual(slow[1]!.workerId, slow[0]!.workerId, 'the retry ran on the surviving host');
  });
});
