import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../engine/store/store.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import { RetrainCoalescer } from '../ml/pipeline/retrain-coalescer.ts';
import { cliJson, REPO, runCli, tempDir } from './helpers/cli.ts';

// The retraining pipeline's triggers through claim_retrain (its own file: three pipelines at once take a while).
const DAGS = join(REPO, 'dags');
const fast = { trees: 10, min_accuracy: 0.7, min_precision: 0.7 };

function home(): string {
  const dir = tempDir('updraft-ml-');
  writeChurnData(join(dir, 'data', 'churn'), { drift: true, rows: 600 });
  return dir;
}

interface Result { state: string; run_id: string; task_instances: Array<{ task_id: string; state: string; try_number: number; error: string | null }> }
const states = (r: Result) => Object.fromEntries(r.task_instances.map((t) => [`${t.task_id}#${t.try_number}`, t.state]));

async function dagsTest(env: Record<string, string>, conf: Record<string, unknown>, dagId = 'ml_retraining_pipeline'): Promise<{ result: Result; code: number }> {
  const r = await runCli(['--dags-folder', DAGS, 'dags', 'test', dagId, '--conf', JSON.stringify({ ...fast, ...conf }), '--output', 'json', '--retry-delay-scale', '0'], env);
  return { result: JSON.parse(r.stdout) as Result, code: r.code };
}

describe('coalesced triggers and models side by side', () => {
  it('drift and schedule firing for churn at once start one retrain, while fraud retrains in parallel apart from it', async () => {
    const env = { UPDRAFT_HOME: home() };
    writeChurnData(join(env.UPDRAFT_HOME, 'data', 'fraud'), { drift: true, rows: 600, seed: 11 });
    const [drift, schedule, fraud] = await Promise.all([
      dagsTest(env, {}),
      dagsTest(env, { max_age_days: -1 }, 'ml_retraining_scheduled'), // always fires
      dagsTest(env, { model: 'fraud' }),
    ]);
    for (const r of [drift, schedule, fraud]) assert.equal(r.code, 0, JSON.stringify(r.result));
    const churnRuns = [drift, schedule].map((r) => states(r.result));
    assert.deepEqual(churnRuns.map((s) => s['claim_retrain#1']), ['success', 'success'], 'both triggers fired and reached the decision point');
    assert.deepEqual(churnRuns.map((s) => s['train_model#1']).sort(), ['skipped', 'success'], 'one retrain, not two');
    assert.equal(states(fraud.result)['deploy_model#1'], 'success');

    type Entry = { model: string; trigger: string; decision: string; reason?: string; dag_run_id?: string; artifact_uri?: string; merged_triggers?: Array<{ kind: string; run_id: string }> };
    const churnLog = await cliJson<Entry[]>(['retrain-log', '--model', 'churn'], env);
    const claimed = churnLog.filter((e) => e.decision === 'retrain');
    const merged = churnLog.filter((e) => e.decision === 'merged');
    assert.equal(claimed.length, 1);
    assert.equal(merged.length, 1);
    const winner = claimed[0]!;
    assert.match(merged[0]!.reason!, new RegExp(`merged into the retrain of ml_retraining_(pipeline|scheduled) ${winner.dag_run_id!.replace(/[+.]/g, '\\$&')}`));
    const promoted = churnLog.filter((e) => e.decision === 'promoted');
    assert.equal(promoted.length, 1);
    assert.equal(promoted[0]!.trigger, winner.trigger);
    assert.equal(promoted[0]!.merged_triggers![0]!.kind, winner.trigger, 'the claiming trigger comes first');
    // The merged trigger is in the store's claim whenever it arrived (the promotion line lists those merged by then).
    const store = await Store.open({ home: env.UPDRAFT_HOME });
    try {
      const claim = (await new RetrainCoalescer(store).current('churn'))!;
      assert.deepEqual(claim.triggers.map((t) => t.kind).sort(), ['drift', 'schedule']);
    } finally {
      await store.close();
    }

    // Apart: registry versions, model artifacts, drift reports and log lines per model.
    for (const model of ['churn', 'fraud']) {
      const versions = await cliJson<Array<{ version: number; stage: string }>>(['models', 'versions', model], env);
      assert.deepEqual(versions.map((v) => [v.version, v.stage]), [[1, 'Production']], model);
      const served = await cliJson<{ version: number; artifact_uri: string }>(['models', 'predict', model, join(env.UPDRAFT_HOME, 'data', model, 'current.csv')], env);
      assert.match(served.artifact_uri, new RegExp(`/models/${model}/`));
      const log = await cliJson<Entry[]>(['retrain-log', '--model', model], env);
      assert.ok(log.every((e) => e.model === model));
      const reports = log.filter((e) => e.trigger === 'drift' && e.artifact_uri && e.decision === 'fire').map((e) => e.artifact_uri!);
      assert.ok(reports.length >= 1 && reports.every((u) => u.includes(`/reports/${model}/`)), `${model}: ${reports.join(', ')}`);
    }
  });
});
