import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalArtifactStore } from '../engine/artifacts/local-artifact-store.ts';
import type { TaskContext } from '../engine/models/task-context.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { EstimatedPerformanceOperator } from '../ml/index.ts';
import { CsvTable } from '../ml/data/csv-table.ts';
import { churnRows, writeChurnData } from '../ml/demo/synthetic-data.ts';
import { estimateChunks } from '../ml/monitoring/estimated-performance.ts';
import type { ScoredPrediction } from '../ml/monitoring/prediction-store.ts';
import { fitCalibrator, fitIsotonic, predictIsotonic, probabilityCorrect } from '../ml/training/calibration.ts';
import { cliJson, FIXTURES, REPO, runCli, tempDir } from './helpers/cli.ts';

interface IsotonicCase {
  name: string;
  x: number[];
  y: number[];
  query: number[];
  predicted: number[];
  fitted: number[];
}
const sklearn = JSON.parse(readFileSync(join(FIXTURES, 'scipy', 'isotonic.json'), 'utf8')) as { sklearn: string; cases: IsotonicCase[] };

describe('calibration', () => {
  for (const c of sklearn.cases) {
    it(`isotonic regression matches scikit-learn ${sklearn.sklearn}: ${c.name}`, () => {
      const map = fitIsotonic(c.x, c.y);
      for (let i = 1; i < map.y.length; i++) assert.ok(map.y[i]! >= map.y[i - 1]!, 'monotone');
      for (const [i, q] of c.query.entries())
        assert.ok(Math.abs(predictIsotonic(map, q) - c.predicted[i]!) < 1e-12, `at ${q}: ${predictIsotonic(map, q)} vs ${c.predicted[i]}`);
      for (const [i, q] of c.x.entries()) assert.ok(Math.abs(predictIsotonic(map, q) - c.fitted[i]!) < 1e-12);
    });
  }

  it('binary: a prediction of class 1 is right with calibrated p, of class 0 with 1 − p (from its own vote share)', () => {
    // Holdout: at vote share 0.8 for class 1, half the rows are class 1.
    const calibrator = fitCalibrator(
      [
        [0.2, 0.8],
        [0.2, 0.8],
        [0.9, 0.1],
        [0.05, 0.95],
      ],
      [1, 0, 0, 1],
      ['no', 'yes'],
    );
    assert.equal(probabilityCorrect(calibrator, 1, 0.8), 0.5);
    assert.equal(probabilityCorrect(calibrator, 0, 0.9), 1, 'class 0 at vote share 0.9 = class-1 share 0.1: never class 1 on the holdout');
    assert.equal(probabilityCorrect(calibrator, 1, 0.95), 1);
  });
});

describe('estimateChunks', () => {
  const calibrator = fitCalibrator(
    [
      [0.5, 0.5],
      [0, 1],
      [1, 0],
    ],
    [1, 1, 0],
    ['0', '1'],
  );
  const rows = (n: number, actual: (i: number) => string | null): ScoredPrediction[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `p${i}`,
      version: 1,
      prediction: '1',
      score: 1,
      actual: actual(i),
      timestamp: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    }));

  it('chunks end at the newest prediction; only the oldest is partial; the alert reads the newest complete chunk', () => {
    const e = estimateChunks(
      rows(25, (i) => (i < 5 ? null : i % 2 ? '1' : '0')),
      calibrator,
      { chunkSize: 10, threshold: 0.9 },
    );
    assert.deepEqual(
      e.chunks.map((c) => [c.rows, c.complete, c.labelled]),
      [
        [5, false, 0],
        [10, true, 10],
        [10, true, 10],
      ],
    );
    assert.equal(e.chunks[2]!.end, rows(25, () => null)[24]!.timestamp);
    assert.deepEqual(
      e.chunks.map((c) => c.estimated_accuracy),
      [1, 1, 1],
    );
    assert.deepEqual(
      e.chunks.map((c) => c.realized_accuracy),
      [null, 0.5, 0.5],
    );
    assert.equal(e.alert, false);
    assert.match(e.reason, /estimated accuracy 1\.0000 >= 0\.9 on the newest 10 predictions/);
    const few = estimateChunks(
      rows(5, () => null),
      calibrator,
      { chunkSize: 10 },
    );
    assert.equal(few.latest, null);
    assert.equal(few.alert, false);
    assert.match(few.reason, /only 5 scored predictions \(< chunk size 10\)/);
  });

  it('a class the model does not know, or a score outside [0, 1], is a one-line error naming the prediction', () => {
    assert.throws(
      () => estimateChunks([{ ...rows(1, () => null)[0]!, prediction: 'maybe' }], calibrator),
      /prediction 'p0': class 'maybe' is not one of the model's classes \(0, 1\)/,
    );
    assert.throws(
      () => estimateChunks([{ ...rows(1, () => null)[0]!, score: 1.5 }], calibrator),
      /prediction 'p0': score 1\.5 is not a vote share/,
    );
  });
});

describe('EstimatedPerformanceOperator', () => {
  it('a model with nothing in production: nothing to estimate, everything downstream skipped', async (t) => {
    const home = tempDir('updraft-cbpe-op-');
    const store = await openStoreWithPlugins({ home });
    t.after(() => store.close());
    const seen: unknown[] = [];
    const lines: string[] = [];
    const operator = new EstimatedPerformanceOperator({
      taskId: 'check_estimated_performance',
      model: 'churn',
      store: async () => store,
      artifacts: () => new LocalArtifactStore({ root: join(home, 'artifacts') }),
      onEstimate: (e) => void seen.push(e),
    });
    const log = {
      info: (m: string) => void lines.push(m),
      warn: (m: string) => void lines.push(m),
      error: (m: string) => void lines.push(m),
    };
    const result = await operator.execute({ log } as unknown as TaskContext);
    assert.equal(result, null);
    assert.deepEqual(seen, [null]);
    assert.match(lines.join('\n'), /churn has no production version: nothing to estimate/);
    const graph = { downstreamOf: () => ['train_model'], descendantsOf: () => ['train_model', 'validate', 'deploy_model'] };
    assert.deepEqual(operator.tasksToSkip(result, graph), ['train_model', 'validate', 'deploy_model']);
  });
});

interface Predicted {
  version: number;
  predictions: string[];
  scores: number[];
}

/** Predicts `csv` with the serving model, logs the predictions (id, prediction, score, version, timestamp); returns the realized accuracy. */
async function predictAndLog(env: Record<string, string>, csv: string, prefix: string, at: Date): Promise<number> {
  const predicted = await cliJson<Predicted>(['models', 'predict', 'churn', csv], env);
  const truth = CsvTable.read(csv).strings('churned');
  const lines = predicted.predictions.map((p, i) => `${prefix}${i},${p},${predicted.scores[i]},${predicted.version},${at.toISOString()}`);
  const log = join(env.UPDRAFT_HOME!, `${prefix}log.csv`);
  writeFileSync(log, `id,prediction,score,version,timestamp\n${lines.join('\n')}\n`);
  const r = await runCli(['predictions', 'log', 'churn', log], env);
  assert.equal(r.code, 0, r.stderr);
  return predicted.predictions.filter((p, i) => p === truth[i]).length / truth.length;
}

describe('predictions estimate (CBPE) on synthetic covariate shift', () => {
  it('within ±2 accuracy points of the realized accuracy on 5,000 rows, before and after rows move toward the decision boundary; the fourth trigger retrains', async (t) => {
    const home = tempDir('updraft-cbpe-');
    const env = { UPDRAFT_HOME: home };
    const train = join(home, 'train.csv');
    writeFileSync(train, churnRows(8000, 11));
    const trained = await cliJson<{ version: number }>(
      ['models', 'train', 'churn', '--data', train, '--target', 'churned', '--trees', '100'],
      env,
    );
    await cliJson(['models', 'promote', 'churn', String(trained.version)], env);

    const clean = join(home, 'clean.csv');
    const shifted = join(home, 'shifted.csv');
    writeFileSync(clean, churnRows(5000, 101));
    // Covariate shift: rows kept with probability exp(-|risk|/2), labels from the same P(y | x).
    writeFileSync(shifted, churnRows(5000, 102, undefined, true, 2));
    const hour = 3_600_000;
    const realizedClean = await predictAndLog(env, clean, 'c', new Date(Date.now() - 2 * hour));
    const realizedShifted = await predictAndLog(env, shifted, 's', new Date(Date.now() - hour));
    assert.ok(realizedClean - realizedShifted > 0.03, `the shift costs accuracy: ${realizedClean} → ${realizedShifted}`);

    const estimate = await cliJson<{
      version: number;
      rows: number;
      alert: boolean;
      calibrator_uri: string;
      chunks: Array<{ rows: number; estimated_accuracy: number; complete: boolean; alert: boolean }>;
    }>(['predictions', 'estimate', 'churn', '--chunk', '5000', '--threshold', '0.92'], env);
    assert.equal(estimate.version, 1);
    assert.equal(estimate.rows, 10_000);
    assert.match(estimate.calibrator_uri, /\/calibrator\.json$/);
    assert.deepEqual(
      estimate.chunks.map((c) => [c.rows, c.complete]),
      [
        [5000, true],
        [5000, true],
      ],
    );
    const [before, after] = estimate.chunks.map((c) => c.estimated_accuracy) as [number, number];
    t.diagnostic(
      `clean: estimated ${before.toFixed(4)}, realized ${realizedClean.toFixed(4)}; shifted: estimated ${after.toFixed(4)}, realized ${realizedShifted.toFixed(4)}`,
    );
    assert.ok(Math.abs(before - realizedClean) <= 0.02, `clean: estimated ${before}, realized ${realizedClean}`);
    assert.ok(Math.abs(after - realizedShifted) <= 0.02, `shifted: estimated ${after}, realized ${realizedShifted}`);
    assert.deepEqual(
      estimate.chunks.map((c) => c.alert),
      [false, true],
    );
    assert.equal(estimate.alert, true, 'the newest chunk is estimated under 0.92');

    // Bad input: one line, non-zero exit.
    const bad = await runCli(['predictions', 'estimate', 'churn', '--threshold', '2'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--threshold must be a number between 0 and 1, got '2'/);
    const ghost = await runCli(['predictions', 'estimate', 'ghost'], env);
    assert.match(ghost.stderr, /model 'ghost' has no production version/);

    // The fourth trigger: the same estimate under the DAG fires a retrain.
    writeChurnData(join(home, 'data', 'churn'), { drift: false, rows: 600 });
    const run = await runCli(
      [
        '--dags-folder',
        join(REPO, 'dags'),
        'dags',
        'test',
        'ml_retraining_on_estimated_performance',
        '--output',
        'json',
        '--retry-delay-scale',
        '0',
        '--conf',
        JSON.stringify({ trees: 10, min_accuracy: 0.5, min_precision: 0.5, accuracy_threshold: 0.92, estimate_chunk: 5000 }),
      ],
      env,
    );
    const tries = (JSON.parse(run.stdout) as { task_instances: Array<{ task_id: string; state: string }> }).task_instances;
    assert.equal(tries.find((t) => t.task_id === 'check_estimated_performance')?.state, 'success', run.stdout);
    assert.equal(tries.find((t) => t.task_id === 'train_model')?.state, 'success', 'the estimate fired');
    const log = await cliJson<Array<{ trigger: string; decision: string; reason: string }>>(['retrain-log'], env);
    assert.equal(log[0]!.trigger, 'estimated_performance');
    assert.equal(log[0]!.decision, 'fire');
    assert.match(log[0]!.reason, /estimated accuracy 0\.\d+ < 0\.92 on the newest 5000 predictions/);
  });
});
