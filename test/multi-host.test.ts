import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import { FIXTURES, REPO, tempDir } from './helpers/cli.ts';
import { createHosts, hostsUnavailable, type TestHosts } from './helpers/hosts.ts';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from './helpers/private-postgres.ts';
import { waitFor, type UpdraftProcess } from './helpers/processes.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';

const why = hostsUnavailable() ?? privatePostgresUnavailable();
if (why && process.env.CI) throw new Error(`CI is set but separate hosts cannot be tested: ${why}`);

const DAG_FILES = [
  join(FIXTURES, 'features', 'features.ts'),
  join(FIXTURES, 'recovery', 'recovery.ts'),
  join(REPO, 'dags', 'ml_retraining_pipeline.ts'),
];
type Prediction = { version: number; artifact_uri: string; predictions: string[] };

describe('several hosts (network namespaces): Redis with a password and a PostgreSQL of their own, nothing else shared', {
  skip: why ?? false,
}, () => {
  it('retraining across hosts A-D (train on B, deploy on C, predict and roll back on D); a foreign worker on E swallows nothing; a scheduler host and a worker host killed mid-run', async (t) => {
    let hosts: TestHosts | undefined;
    let redis: TestRedis | undefined;
    let database: PrivatePostgres | undefined;
    let store: Store | undefined;
    t.after(async () => {
      await hosts?.cleanup();
      await store?.close();
      await redis?.stop();
      await database?.stop();
    });
    hosts = await createHosts(5);
    const [A, B, C, D, E] = hosts.names as [string, string, string, string, string];
    const password = randomBytes(9).toString('base64url');
    redis = await startRedis({ password, bind: [hosts.gateway] });
    database = await startPrivatePostgres([hosts.gateway]);
    const redisPort = new URL(redis.url).port;
    const shared = {
      REDIS_URL: `redis://:${password}@${hosts.gateway}:${redisPort}`,
      UPDRAFT_REDIS_PREFIX: redis.prefix,
      UPDRAFT_DATABASE_URL: database.url(hosts.gateway),
      UPDRAFT_ARTIFACTS_URL: '',
      UPDRAFT_WORKER_LOCK_SECONDS: '2',
      UPDRAFT_RECONCILE_SECONDS: '1',
      UPDRAFT_TRAINING_QUEUE: 'training',
    };
    /** A host's environment: its own UPDRAFT_HOME and its own copy of the DAG files (as an image or git-sync puts them), under its own folder. */
    const onHost = (host: string, extra: Record<string, string> = {}): Record<string, string> => {
      const dags = join(hosts!.dir(host), 'dags');
      mkdirSync(dags, { recursive: true });
      for (const f of DAG_FILES) cpSync(f, join(dags, f.split('/').pop()!));
      return { ...shared, UPDRAFT_HOME: join(hosts!.dir(host), 'home'), UPDRAFT_DAGS_FOLDER: dags, ...extra };
    };
    const env = Object.fromEntries(hosts.names.map((h) => [h, onHost(h)]));
    const logs = tempDir('updraft-hosts-logs-');
    const cli = async <T>(host: string, args: string[], hostEnv = env[host]!): Promise<T> => {
      const r = await hosts!.run(host, [...args, '-o', 'json'], hostEnv);
      assert.equal(r.code, 0, `updraft ${args.join(' ')} on ${host}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    };
    const trigger = async (dagId: string, conf: object): Promise<string> =>
      (await cli<{ run_id: string }>(A, ['dags', 'trigger', dagId, '--conf', JSON.stringify(conf)])).run_id;
    const finished = (dagId: string, runId: string) =>
      waitFor(
        `${dagId} ${runId}`,
        async () => {
          const run = await store!.runs.get(dagId, runId);
          return run && (run.state === 'success' || run.state === 'failed') ? run : undefined;
        },
        120_000,
      );
    const ranOn =
      (p: UpdraftProcess) =>
      (workerId: string | null | undefined): boolean =>
        workerId?.endsWith(`:${p.pid}`) ?? false;

    // Host E: a worker on a store of its own (SQLite in its home) but the same Redis, started first so that it gets a job.
    const foreign = hosts.start(E, ['worker', '--concurrency', '1'], { ...env[E]!, UPDRAFT_DATABASE_URL: '' }, logs);
    const schedulerA = hosts.start(A, ['scheduler'], env[A]!, logs);
    hosts.start(B, ['scheduler'], env[B]!, logs); // PostgreSQL: both schedulers active, row locks divide the work
    store = await openStoreWithPlugins({ url: database.url() });
    const joinRuns = [await trigger('branch_join', { side: 'left' }), await trigger('branch_join', { side: 'right' })];
    assert.equal(await foreign.exited, 3, 'the foreign worker refuses the job and stops');
    const fatal = readFileSync(foreign.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"level":60'));
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!, new RegExp(`belongs to deployment ${store.deploymentId} but this worker's store is deployment `));

    // Host B trains (queue `training`), host C runs everything else.
    const workerB = hosts.start(B, ['worker', '--queues', 'training', '--concurrency', '1'], env[B]!, logs);
    const workerC = hosts.start(C, ['worker', '--concurrency', '1'], env[C]!, logs);
    for (const [i, runId] of joinRuns.entries()) {
      assert.equal((await finished('branch_join', runId)).state, 'success', 'nothing was lost to the foreign worker');
      // left: start's 20 reaches left (x2 + 2) and join (+1) through the store, whichever hosts ran them.
      assert.deepEqual(
        (await store.xcom.forRun('branch_join', runId)).get('join'),
        { total: i === 0 ? 43 : 1 },
        'XCom crossed hosts through the store',
      );
    }

    // The retraining pipeline, its inputs put into the artifact store on host A (only A has the files) and given by URI.
    const inputs = async (seed: number): Promise<Record<string, string>> => {
      const dir = join(hosts!.dir(A), `inputs-${seed}`);
      writeChurnData(dir, { drift: true, rows: 600, seed });
      const conf: Record<string, string> = {};
      for (const kind of ['reference', 'current', 'train'])
        conf[kind] = (
          await cli<{ uri: string }>(A, ['artifacts', 'put', join(dir, `${kind}.csv`), `inputs/churn/${seed}/${kind}.csv`])
        ).uri;
      return conf;
    };
    // A cooldown of 0 lets the second run retrain; alpha 0 and no holdout minimum let its candidate pass the champion gate whatever it scores.
    const fast = {
      model: 'churn',
      trees: 10,
      min_accuracy: 0.7,
      min_precision: 0.7,
      retrain_cooldown_minutes: 0,
      gate_alpha: 0,
      min_holdout_rows: 0,
    };
    const versions: Prediction[] = [];
    const input = join(hosts.dir(D), 'predict');
    writeChurnData(input, { drift: true, rows: 200, seed: 99 }); // current.csv: 100 rows
    for (const seed of [7, 11]) {
      const runId = await trigger('ml_retraining_pipeline', { ...fast, ...(await inputs(seed)) });
      assert.equal((await finished('ml_retraining_pipeline', runId)).state, 'success');
      const tries = await store.tasks.allTries('ml_retraining_pipeline', runId);
      assert.deepEqual(tries.map((ti) => [ti.taskId, ti.state, ti.tryNumber]).sort(), [
        ['check_drift', 'success', 1],
        ['claim_retrain', 'success', 1],
        ['deploy_model', 'success', 1],
        ['train_model', 'success', 1],
        ['validate', 'success', 1],
      ]);
      assert.ok(ranOn(workerB)(tries.find((ti) => ti.taskId === 'train_model')!.workerId), 'trained on host B');
      assert.ok(ranOn(workerC)(tries.find((ti) => ti.taskId === 'deploy_model')!.workerId), 'deployed on host C');
      // Host D serves what C deployed, reading the model through the artifact store.
      versions.push(await cli<Prediction>(D, ['models', 'predict', 'churn', join(input, 'current.csv')]));
    }
    assert.deepEqual(
      versions.map((v) => [v.version, v.predictions.length]),
      [
        [1, 100],
        [2, 100],
      ],
    );
    assert.match(versions[1]!.artifact_uri, /^postgres-artifact:\/\/\/models\/churn\//);
    await cli(D, ['models', 'rollback', 'churn']);
    assert.deepEqual(await cli<Prediction>(D, ['models', 'predict', 'churn', join(input, 'current.csv')]), versions[0], 'v1 serves again');

    // Mid-run, scheduler host A dies, and so does the slow task's worker host (SIGKILL): B's
    // scheduler fails the lost try, and its retry runs on the surviving default-queue host D.
    const workerD = hosts.start(D, ['worker', '--concurrency', '1'], env[D]!, logs);
    const slowRun = await trigger('slow_task', { ms: 6000 });
    const running = await waitFor(
      'slow running',
      async () => {
        const ti = (await store!.tasks.latestTries('slow_task', slowRun)).get('slow');
        return ti?.state === 'running' ? ti : undefined;
      },
      60_000,
    );
    const victim = [workerC, workerD].find((p) => ranOn(p)(running.workerId));
    assert.ok(victim, `slow runs on a default-queue host (${running.workerId})`);
    await Promise.all([schedulerA.stop('SIGKILL'), victim.stop('SIGKILL')]);
    assert.equal((await finished('slow_task', slowRun)).state, 'success');
    const slow = (await store.tasks.allTries('slow_task', slowRun)).filter((x) => x.taskId === 'slow');
    assert.deepEqual(
      slow.map((x) => [x.tryNumber, x.state]),
      [
        [1, 'up_for_retry'],
        [2, 'success'],
      ],
    );
    assert.notEqual(slow[1]!.workerId, slow[0]!.workerId, 'the retry ran on the surviving host');

    // No run created twice, none lost, no try run twice.
    const counts: Record<string, number> = {};
    for (const dagId of ['branch_join', 'ml_retraining_pipeline', 'slow_task']) {
      const runs = await store.runs.list(dagId);
      counts[dagId] = runs.filter((r) => r.runType === 'manual').length;
      const scheduled = runs.filter((r) => r.runType === 'scheduled').map((r) => r.logicalDate);
      assert.equal(new Set(scheduled).size, scheduled.length, `${dagId}: one scheduled run per logical date`);
    }
    assert.deepEqual(counts, { branch_join: 2, ml_retraining_pipeline: 2, slow_task: 1 }, 'each triggered run once');
    for (const runId of joinRuns) {
      const tries = await store.tasks.allTries('branch_join', runId);
      assert.equal(new Set(tries.map((ti) => ti.taskId)).size, tries.length, 'one try per task');
    }
  });
});
