import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import { RetrainCoalescer } from '../ml/pipeline/retrain-coalescer.ts';
import { cliJson } from './helpers/cli.ts';
import { churnHome, pipelineDagsTest, taskStates } from './helpers/ml-pipeline.ts';

// The retraining pipeline's triggers through claim_retrain (its own file: three pipelines at once take a while).

describe('coalesced triggers and models side by side', () => {
  it('drift and schedule firing for churn at once start one retrain, while fraud retrains in parallel apart from it', async () => {
    const env = { UPDRAFT_HOME: churnHome() };
    writeChurnData(join(env.UPDRAFT_HOME, 'data', 'fraud'), { drift: true, rows: 600, seed: 11 });
    const [drift, schedule, fraud] = await Promise.all([
      pipelineDagsTest(env, {}),
      pipelineDagsTest(env, { max_age_days: -1 }, 'ml_retraining_scheduled'), // always fires
      pipelineDagsTest(env, { model: 'fraud' }),
    ]);
    for (const r of [drift, schedule, fraud]) assert.equal(r.code, 0, JSON.stringify(r.result));
    const churnRuns = [drift, schedule].map((r) => taskStates(r.result));
    assert.deepEqual(
      churnRuns.map((s) => s['claim_retrain#1']),
      ['success', 'success'],
      'both triggers fired and reached the decision point',
    );
    assert.deepEqual(churnRuns.map((s) => s['train_model#1']).sort(), ['skipped', 'success'], 'one retrain, not two');
    assert.equal(taskStates(fraud.result)['deploy_model#1'], 'success');

    type Entry = {
      model: string;
      trigger: string;
      decision: string;
      reason?: string;
      dag_run_id?: string;
      artifact_uri?: string;
      merged_triggers?: Array<{ kind: string; run_id: string }>;
    };
    const churnLog = await cliJson<Entry[]>(['retrain-log', '--model', 'churn'], env);
    const claimed = churnLog.filter((e) => e.decision === 'retrain');
    const merged = churnLog.filter((e) => e.decision === 'merged');
    assert.equal(claimed.length, 1);
    assert.equal(merged.length, 1);
    const winner = claimed[0]!;
    assert.match(
      merged[0]!.reason!,
      new RegExp(`merged into the retrain of ml_retraining_(pipeline|scheduled) ${winner.dag_run_id!.replace(/[+.]/g, '\\$&')}`),
    );
    const promoted = churnLog.filter((e) => e.decision === 'promoted');
    assert.equal(promoted.length, 1);
    assert.equal(promoted[0]!.trigger, winner.trigger);
    assert.equal(promoted[0]!.merged_triggers![0]!.kind, winner.trigger, 'the claiming trigger comes first');
    // The merged trigger is in the store's claim whenever it arrived (the promotion line lists those merged by then).
    const store = await openStoreWithPlugins({ home: env.UPDRAFT_HOME });
    try {
      const claim = (await new RetrainCoalescer(store).current('churn'))!;
      assert.deepEqual(claim.triggers.map((t) => t.kind).sort(), ['drift', 'schedule']);
    } finally {
      await store.close();
    }

    // Apart: registry versions, model artifacts, drift reports and log lines per model.
    for (const model of ['churn', 'fraud']) {
      const versions = await cliJson<Array<{ version: number; stage: string }>>(['models', 'versions', model], env);
      assert.deepEqual(
        versions.map((v) => [v.version, v.stage]),
        [[1, 'Production']],
        model,
      );
      const served = await cliJson<{ version: number; artifact_uri: string }>(
        ['models', 'predict', model, join(env.UPDRAFT_HOME, 'data', model, 'current.csv')],
        env,
      );
      assert.match(served.artifact_uri, new RegExp(`/models/${model}/`));
      const log = await cliJson<Entry[]>(['retrain-log', '--model', model], env);
      assert.ok(log.every((e) => e.model === model));
      const reports = log.filter((e) => e.trigger === 'drift' && e.artifact_uri && e.decision === 'fire').map((e) => e.artifact_uri!);
      assert.ok(reports.length >= 1 && reports.every((u) => u.includes(`/reports/${model}/`)), `${model}: ${reports.join(', ')}`);
    }
  });
});
