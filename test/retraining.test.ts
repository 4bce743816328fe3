import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalArtifactStore } from '../engine/artifacts/local-artifact-store.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import { TestCluster } from './helpers/cluster.ts';
import { cliJson, runCli, tempDir } from './helpers/cli.ts';
import { churnHome, DAGS, FAST, pipelineDagsTest, taskStates } from './helpers/ml-pipeline.ts';

describe('ml_retraining_pipeline under dags test', () => {
  it('drift → train → validate → register, promote, deploy; then a rejected candidate leaves production untouched', async () => {
    const env = { UPDRAFT_HOME: churnHome() };
    const first = await pipelineDagsTest(env, {});
    assert.equal(first.code, 0);
    assert.deepEqual(taskStates(first.result), {
      'check_drift#1': 'success',
      'claim_retrain#1': 'success',
      'train_model#1': 'success',
      'validate#1': 'success',
      'deploy_model#1': 'success',
    });
    const current = join(env.UPDRAFT_HOME, 'data', 'churn', 'current.csv');
    const serving = async () =>
      await cliJson<{ version: number; artifact_uri: string; predictions: string[] }>(['models', 'predict', 'churn', current], env);
    const v1 = await serving();
    assert.equal(v1.version, 1);
    // By default the artifacts live in $UPDRAFT_HOME/artifacts, addressed by file:// URIs, their SHA-256 recorded.
    const artifacts = new LocalArtifactStore({ root: join(env.UPDRAFT_HOME, 'artifacts') });
    assert.match(v1.artifact_uri, new RegExp(`^${artifacts.uri('models/churn')}/[0-9a-f-]{36}/model\\.json$`));
    assert.equal(JSON.parse((await artifacts.get(v1.artifact_uri)).toString()).format, 'ml-random-forest@2');
    assert.equal(
      existsSync(join(env.UPDRAFT_HOME, 'serving')),
      false,
      "no serving directory: the serving model is the production version's artifact",
    );

    // Within the first retrain's cooldown this drift would merge into it; a cooldown of 0 retrains again.
    // The same 600 rows and seed: the 120-row holdout is honest (v1 never trained on it) but below the 200-row minimum.
    const rejected = await pipelineDagsTest(env, { min_accuracy: 0.999, retrain_cooldown_minutes: 0 });
    assert.equal(rejected.code, 1);
    assert.equal(taskStates(rejected.result)['validate#1'], 'failed');
    assert.equal(taskStates(rejected.result)['deploy_model#1'], 'upstream_failed');
    assert.match(
      rejected.result.task_instances.find((t) => t.task_id === 'validate')!.error!,
      /candidate rejected: only 120 holdout rows that neither model trained on \(minimum 200\): too few to replace the champion; accuracy .* < threshold 0\.999$/,
    );
    const versions = await cliJson<Array<{ version: number; stage: string }>>(['models', 'versions', 'churn'], env);
    assert.deepEqual(
      versions.map((v) => [v.version, v.stage]),
      [[1, 'Production']],
      'the rejected candidate was never registered',
    );
    assert.equal((await serving()).version, 1, 'still serving v1');

    const log = await cliJson<
      Array<{
        decision: string;
        trigger: string;
        success: boolean;
        error: string | null;
        artifact_uri?: string;
        merged_triggers?: Array<{ kind: string; detail: string }>;
      }>
    >(['retrain-log', '--model', 'churn'], env);
    assert.deepEqual(
      log.map((e) => e.decision),
      ['fire', 'retrain', 'promoted', 'fire', 'retrain', 'rejected'],
    );
    assert.ok(log.every((e) => e.trigger === 'drift'));
    assert.equal(log[2]!.artifact_uri, v1.artifact_uri, 'the promotion names the deployed artifact');
    assert.deepEqual(
      log[2]!.merged_triggers!.map((t) => t.kind),
      ['drift'],
    );
    assert.match(log[2]!.merged_triggers![0]!.detail, /^drift in /);
    assert.deepEqual(
      log[5]!.merged_triggers!.map((t) => t.kind),
      ['drift'],
      'a rejection names its triggers too',
    );
    const report = JSON.parse((await artifacts.get(log[0]!.artifact_uri!)).toString()) as { drift: boolean };
    assert.equal(report.drift, true, 'the drift evaluation names its report');
    const predicted = await runCli(['models', 'predict', 'churn', current], env);
    assert.equal(predicted.stdout.trim().split('\n').length, 1 + 300, 'header + one label per input row');
  });

  it('no drift skips training; bad training data fails train_model without retry, naming file and column', async () => {
    const env = { UPDRAFT_HOME: churnHome(false) };
    const calm = await pipelineDagsTest(env, {});
    assert.deepEqual(taskStates(calm.result), {
      'check_drift#1': 'success',
      'claim_retrain#1': 'skipped',
      'train_model#1': 'skipped',
      'validate#1': 'skipped',
      'deploy_model#1': 'skipped',
    });

    const bad = join(env.UPDRAFT_HOME, 'bad.csv');
    writeFileSync(bad, 'tenure_months,monthly_charges,churned\n3,NaN,1\n4,5,0\n');
    const drifted = join(env.UPDRAFT_HOME, 'drifted');
    writeChurnData(drifted, { drift: true, rows: 300 });
    const failed = await pipelineDagsTest(env, { train: bad, current: join(drifted, 'current.csv'), retrain_cooldown_minutes: 0 });
    assert.equal(failed.code, 1);
    const train = failed.result.task_instances.filter((t) => t.task_id === 'train_model');
    assert.equal(train.length, 1, 'bad data is not retried');
    assert.match(train[0]!.error!, /bad\.csv: column 'monthly_charges' row 2: 'NaN' is not a finite number/);
    const oneClass = join(env.UPDRAFT_HOME, 'one-class.csv');
    writeFileSync(oneClass, 'a,b,churned\n1,2,0\n3,4,0\n');
    const single = await pipelineDagsTest(env, { train: oneClass, current: join(drifted, 'current.csv'), retrain_cooldown_minutes: 0 });
    assert.match(
      single.result.task_instances.find((t) => t.task_id === 'train_model')!.error!,
      /one-class\.csv: target column 'churned' has a single class/,
    );
    assert.deepEqual(await cliJson(['models', 'list'], env), [], 'nothing registered, nothing deployed');

    // check_drift too: a missing or malformed CSV fails it at once, with retries left (the DAG has retries: 2).
    const missing = await pipelineDagsTest(env, { current: join(env.UPDRAFT_HOME, 'no-such.csv') });
    assert.equal(missing.code, 1);
    const drift = missing.result.task_instances.filter((t) => t.task_id === 'check_drift');
    assert.deepEqual(
      drift.map((t) => [t.try_number, t.state]),
      [[1, 'failed']],
      'bad data is not retried in check_drift either',
    );
    assert.match(drift[0]!.error!, /no-such\.csv: no such file/);
    const malformed = join(env.UPDRAFT_HOME, 'malformed.csv');
    writeFileSync(malformed, '"unterminated,quote\n1,2\n');
    const broken = await pipelineDagsTest(env, { reference: malformed });
    assert.deepEqual(
      broken.result.task_instances.filter((t) => t.task_id === 'check_drift').map((t) => [t.try_number, t.state]),
      [[1, 'failed']],
    );
  });

  it('performance trigger: labelled accuracy below the threshold retrains; too few labels does not', async () => {
    const env = { UPDRAFT_HOME: churnHome() };
    const dir = env.UPDRAFT_HOME;
    const preds = ['id,prediction,version', ...Array.from({ length: 150 }, (_, i) => `p${i},${i % 2},1`)].join('\n');
    writeFileSync(join(dir, 'preds.csv'), `${preds}\n`);
    await runCli(['predictions', 'log', 'churn', join(dir, 'preds.csv')], env);
    const quiet = await pipelineDagsTest(env, {}, 'ml_retraining_on_performance');
    assert.equal(taskStates(quiet.result)['train_model#1'], 'skipped', 'no labels yet');
    // 150 labels, 60% right: below the 0.85 threshold
    writeFileSync(
      join(dir, 'labels.csv'),
      `${['id,actual', ...Array.from({ length: 150 }, (_, i) => `p${i},${i < 90 ? i % 2 : 1 - (i % 2)}`)].join('\n')}\n`,
    );
    await runCli(['predictions', 'label', join(dir, 'labels.csv')], env);
    const accuracy = await cliJson<{ accuracy: number; labelled: number; label_coverage: number }>(
      ['predictions', 'accuracy', 'churn'],
      env,
    );
    assert.deepEqual([accuracy.accuracy, accuracy.labelled, accuracy.label_coverage], [0.6, 150, 1]);
    const fired = await pipelineDagsTest(env, {}, 'ml_retraining_on_performance');
    assert.equal(fired.result.state, 'success');
    assert.equal(taskStates(fired.result)['deploy_model#1'], 'success');
    const log = await cliJson<Array<{ trigger: string; decision: string }>>(['retrain-log'], env);
    assert.deepEqual(
      log.map((e) => `${e.trigger}:${e.decision}`),
      ['performance:skip', 'performance:fire', 'performance:retrain', 'performance:promoted'],
    );
  });
});

describe('ml_retraining_pipeline under scheduler + workers', () => {
  it('runs end to end through BullMQ and two worker processes', async (t) => {
    const dir = churnHome();
    const folder = tempDir('updraft-ml-dags-');
    writeFileSync(join(folder, 'pipeline.ts'), `export { default } from ${JSON.stringify(join(DAGS, 'ml_retraining_pipeline.ts'))};\n`);
    // Training is synchronous in ml-random-forest: give workers a lock that outlasts it.
    const cluster = await TestCluster.start(folder, {
      UPDRAFT_HOME: dir,
      UPDRAFT_WORKER_LOCK_SECONDS: '60',
      UPDRAFT_NOW: '2026-06-01T06:00:00Z',
    });
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.worker();
    cluster.worker();
    const runId = await cluster.trigger('ml_retraining_pipeline', FAST);
    const run = await cluster.waitForRun('ml_retraining_pipeline', runId);
    assert.equal(run.state, 'success');
    const tries = await cluster.tries('ml_retraining_pipeline', runId);
    assert.deepEqual(tries.map((x) => `${x.taskId}:${x.state}`).sort(), [
      'check_drift:success',
      'claim_retrain:success',
      'deploy_model:success',
      'train_model:success',
      'validate:success',
    ]);
    const versions = await cluster.cli<Array<{ stage: string }>>(['models', 'versions', 'churn']);
    assert.deepEqual(
      versions.map((v) => v.stage),
      ['Production'],
    );
  });
});
