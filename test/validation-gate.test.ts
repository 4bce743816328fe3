import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalArtifactStore } from '../engine/artifacts/local-artifact-store.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import { binomialTestHalf, mcnemarExact } from '../ml/stats/mcnemar.ts';
import { pairedBootstrapAccuracyDifference } from '../ml/stats/paired-bootstrap.ts';
import { validationGate, type ScoredHoldout } from '../ml/training/validation-gate.ts';
import { cliJson, FIXTURES, REPO, runCli, tempDir } from './helpers/cli.ts';
import { launchBrowser, screenshot } from './helpers/browser.ts';
import { http, startWebserverProcess } from './helpers/webserver.ts';

interface GateCase {
  name: string;
  first: string;
  second: string;
  first_only: number;
  second_only: number;
  binomtest_p: number;
  statsmodels_mcnemar_p: number;
  difference: number;
  bootstrap_low: number;
  bootstrap_high: number;
}
const scipy = JSON.parse(readFileSync(join(FIXTURES, 'scipy', 'gate.json'), 'utf8')) as {
  scipy: string;
  cases: GateCase[];
  binomtest: Array<{ k: number; n: number; p: number }>;
};
const bits = (s: string): boolean[] => [...s].map((c) => c === '1');
const relative = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
const holdout = (correct: boolean[]): ScoredHoldout => {
  const accuracy = correct.filter(Boolean).length / correct.length;
  return { metrics: { accuracy, precision: accuracy, recall: accuracy, f1: accuracy, roc_auc: accuracy }, correct };
};
const byName = (name: string): GateCase => scipy.cases.find((c) => c.name === name)!;

describe(`McNemar exact test and paired bootstrap, against scipy ${scipy.scipy}`, () => {
  it('the exact binomial p-value equals scipy.stats.binomtest to 1e-10 relative, down to 1e-278', () => {
    for (const { k, n, p } of scipy.binomtest)
      assert.ok(relative(binomialTestHalf(k, n), p) < 1e-10, `k=${k} n=${n}: ${binomialTestHalf(k, n)} vs ${p}`);
    assert.equal(binomialTestHalf(0, 0), 1, 'no discordant pairs: no evidence either way');
  });

  for (const c of scipy.cases) {
    it(`${c.name}: discordant counts, p-value (binomtest and statsmodels' mcnemar) and bootstrap interval`, () => {
      const test = mcnemarExact(bits(c.first), bits(c.second));
      assert.deepEqual([test.firstOnly, test.secondOnly], [c.first_only, c.second_only]);
      assert.ok(relative(test.pValue, c.binomtest_p) < 1e-10, `${test.pValue} vs ${c.binomtest_p}`);
      assert.ok(relative(test.pValue, c.statsmodels_mcnemar_p) < 1e-10);
      // Different random streams: the percentile interval agrees to Monte Carlo error (20,000 resamples each).
      const interval = pairedBootstrapAccuracyDifference(bits(c.first), bits(c.second), { resamples: 20_000, seed: 7 });
      assert.ok(Math.abs(interval.difference - c.difference) < 1e-12);
      assert.ok(Math.abs(interval.low - c.bootstrap_low) <= 0.004, `low ${interval.low} vs ${c.bootstrap_low}`);
      assert.ok(Math.abs(interval.high - c.bootstrap_high) <= 0.004, `high ${interval.high} vs ${c.bootstrap_high}`);
    });
  }

  it('the bootstrap is seeded: same seed, same interval; another seed, another draw', () => {
    const c = byName('close models');
    const a = pairedBootstrapAccuracyDifference(bits(c.first), bits(c.second), { seed: 1 });
    assert.deepEqual(pairedBootstrapAccuracyDifference(bits(c.first), bits(c.second), { seed: 1 }), a);
    assert.notDeepEqual(pairedBootstrapAccuracyDifference(bits(c.first), bits(c.second), { seed: 2 }), a);
  });
});

describe('validation gate policies', () => {
  const gate = (name: string, policy: 'not_worse' | 'better', minHoldoutRows?: number) => {
    const c = byName(name);
    return validationGate(holdout(bits(c.second)), holdout(bits(c.first)), { policy, minAccuracy: 0.5, minPrecision: 0.5, minHoldoutRows });
  };

  it('not_worse (default) rejects only a significantly worse challenger', () => {
    assert.equal(gate('close models', 'not_worse').passed, true);
    assert.equal(gate('equal models, small holdout', 'not_worse', 100).passed, true);
    assert.equal(gate('challenger clearly better', 'not_worse').passed, true);
    const worse = gate('challenger clearly worse', 'not_worse');
    assert.equal(worse.passed, false);
    assert.match(
      worse.reasons[0]!,
      /significantly worse than the champion \(difference -6\.30 pts, 95% CI \[-\d+\.\d+ pts, -\d+\.\d+ pts\], McNemar p=1\.89e-6\)/,
    );
    assert.equal(
      worse.comparison!.p_value,
      mcnemarExact(bits(byName('challenger clearly worse').first), bits(byName('challenger clearly worse').second)).pValue,
    );
  });

  it('better promotes only a significantly better challenger', () => {
    assert.equal(gate('challenger clearly better', 'better').passed, true);
    assert.equal(gate('close models', 'better').passed, false);
    assert.match(gate('close models', 'better').reasons[0]!, /not significantly better than the champion/);
    assert.equal(gate('challenger clearly worse', 'better').passed, false);
  });

  it('fewer holdout rows than the minimum (200 by default) never replace a champion; a first model has none to replace', () => {
    const small = gate('equal models, small holdout', 'not_worse');
    assert.equal(small.passed, false);
    assert.deepEqual(small.reasons, ['only 120 holdout rows that neither model trained on (minimum 200): too few to replace the champion']);
    assert.equal(
      validationGate(holdout(bits(byName('equal models, small holdout').second)), null, { minAccuracy: 0.5, minPrecision: 0.5 }).passed,
      true,
    );
    const none = validationGate(holdout([]), null);
    assert.deepEqual(
      [none.passed, none.reasons],
      [false, ['no holdout rows that the models did not train on: nothing to judge the candidate on']],
    );
  });

  it('no champion: thresholds only, no comparison', () => {
    const first = validationGate(holdout(bits(byName('close models').second)), null, { policy: 'better' });
    assert.deepEqual([first.passed, first.comparison], [true, null]);
    assert.match(
      validationGate(holdout(bits(byName('close models').second)), null, { minAccuracy: 0.95 }).reasons[0]!,
      /accuracy 0\.\d+ < threshold 0\.95/,
    );
  });
});

interface Decision {
  passed: boolean;
  policy: string;
  champion_version: number | null;
  holdout_rows: number;
  holdout_fingerprint: string;
  difference: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
  reasons: string;
}

describe('every gate decision is kept and shown, and each version pins its record', () => {
  it('registry, CLI (models decisions, models show) and REST show the difference, its interval and the p-value', async (t) => {
    const home = tempDir('updraft-gate-');
    const env = { UPDRAFT_HOME: home };
    writeChurnData(join(home, 'data', 'churn'), { drift: true, rows: 600 });
    const dagsTest = async (conf: Record<string, unknown>) => {
      const r = await runCli(
        [
          '--dags-folder',
          join(REPO, 'dags'),
          'dags',
          'test',
          'ml_retraining_pipeline',
          '--output',
          'json',
          '--retry-delay-scale',
          '0',
          // Cooldown 0: each run retrains (none is merged into the one before).
          // 600 rows: a 120-row holdout, which min_holdout_rows lets decide (honest-gate.test.ts tests the minimum).
          '--conf',
          JSON.stringify({ trees: 10, min_accuracy: 0.7, min_precision: 0.7, retrain_cooldown_minutes: 0, min_holdout_rows: 100, ...conf }),
        ],
        env,
      );
      assert.ok(r.stdout, `dags test printed no run: ${r.stderr}`);
      return {
        code: r.code,
        run: JSON.parse(r.stdout) as { run_id: string; task_instances: Array<{ task_id: string; state: string; error: string | null }> },
      };
    };
    const first = await dagsTest({});
    assert.equal(first.code, 0);
    // The same data and seed train the same model: no discordant rows, p = 1, a zero-width interval.
    const strict = await dagsTest({ gate_policy: 'better' });
    assert.equal(strict.code, 1);
    assert.match(
      strict.run.task_instances.find((x) => x.task_id === 'validate')!.error!,
      /not significantly better than the champion \(difference 0\.00 pts, 95% CI \[0\.00 pts, 0\.00 pts\], McNemar p=1\.00\)/,
    );
    const second = await dagsTest({});
    assert.equal(second.code, 0);

    const decisions = await cliJson<Decision[]>(['models', 'decisions', 'churn'], env);
    assert.deepEqual(
      decisions.map((d) => [d.passed, d.policy, d.champion_version]),
      [
        [true, 'not_worse', null],
        [false, 'better', 1],
        [true, 'not_worse', 1],
      ],
    );
    assert.deepEqual(
      decisions.map((d) => d.holdout_rows),
      [120, 120, 120],
    );
    assert.equal(new Set(decisions.map((d) => d.holdout_fingerprint)).size, 1, 'the same rows, the same fingerprint');
    assert.deepEqual([decisions[0]!.difference, decisions[0]!.p_value], [null, null], 'no champion, no comparison');
    for (const d of decisions.slice(1)) assert.deepEqual([d.difference, d.ci_low, d.ci_high, d.p_value], [0, 0, 0, 1]);
    const table = await runCli(['models', 'decisions', 'churn'], env);
    assert.match(table.stdout, /p_value/);

    // biome-ignore lint/suspicious/noExplicitAny: the version record is free-form JSON; the assertions below read it field by field
    const shown = await cliJson<{ version: number; record: Record<string, any> }>(['models', 'show', 'churn', '2'], env);
    const record = shown.record;
    assert.deepEqual(Object.keys(record).sort(), [
      'calibrator',
      'dag',
      'data',
      'feature_schema',
      'gate',
      'metrics',
      'model_uri',
      'params',
      'tracking_run_id',
    ]);
    assert.equal(record.dag.dag_id, 'ml_retraining_pipeline');
    assert.equal(record.dag.run_id, second.run.run_id);
    assert.match(record.dag.fingerprint, /^[0-9a-f]{16}$/);
    assert.equal(record.dag.file, join(REPO, 'dags', 'ml_retraining_pipeline.ts'));
    const trainCsv = readFileSync(join(home, 'data', 'churn', 'train.csv'));
    assert.equal(record.data.sha256, createHash('sha256').update(trainCsv).digest('hex'));
    assert.deepEqual([record.data.n_train, record.data.n_test], [480, 120]);
    assert.deepEqual(
      record.feature_schema.features.map((f: { name: string }) => f.name),
      ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_months', 'age'],
    );
    assert.deepEqual([record.feature_schema.target, record.feature_schema.classes], ['churned', ['0', '1']]);
    assert.equal(record.params.trees, 10);
    assert.equal(typeof record.metrics.accuracy, 'number');
    assert.deepEqual(
      [record.gate.passed, record.gate.champion_version, record.gate.comparison.p_value, record.gate.candidate_run_id],
      [true, 1, 1, record.tracking_run_id],
    );
    // Same data, same seed: the champion trained on exactly the candidate's training rows, so its whole test split is honest.
    assert.deepEqual(
      [record.gate.holdout.rows, record.gate.holdout.test_rows, record.gate.holdout.trained_by_champion, record.gate.holdout.minimum],
      [120, 120, 0, 100],
    );
    assert.match(record.gate.holdout.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(record.gate.schema_change, null);
    assert.match(record.data.training_rows_uri, /\/models\/churn\/[0-9a-f-]{36}\/training-rows\.json$/);
    const calibrator = JSON.parse((await new LocalArtifactStore({ root: join(home, 'artifacts') }).get(record.calibrator.uri)).toString());
    assert.deepEqual([calibrator.method, calibrator.kind, calibrator.fittedRows], ['isotonic', 'binary', 120]);
    assert.match((await runCli(['models', 'show', 'churn', '9'], env)).stderr, /model 'churn' has no version 9/);

    // REST: the model page's data carries the decisions and each version's record.
    const web = await startWebserverProcess(env, home);
    t.after(() => web.process.stop());
    const model = await http(`${web.url}/api/v1/models/churn`);
    assert.equal(model.status, 200);
    assert.deepEqual(
      model.json.gate_decisions.map((d: { passed: boolean }) => d.passed),
      [true, false, true],
    );
    assert.equal(model.json.gate_decisions[1].comparison.p_value, 1);
    const version = await http(`${web.url}/api/v1/models/churn/versions/2`);
    assert.deepEqual(version.json.record, record);

    // The Models page: every decision with its difference, interval and p-value; a version's pinned record.
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${web.url}/models?name=churn`);
    await page.getByTestId('gate-decisions').waitFor();
    assert.deepEqual(await page.locator('[data-testid="gate-decisions"] [data-testid="p-value"]').allInnerTexts(), ['1.00', '1.00', '']);
    assert.deepEqual(await page.locator('[data-testid="gate-decisions"] [data-testid="interval"]').allInnerTexts(), [
      '95% [+0.00, +0.00]',
      '95% [+0.00, +0.00]',
      '',
    ]);
    await page.getByTestId('record-1').click();
    await page.locator('[data-testid="record"][data-version="1"]').waitFor();
    const shownRecord = await page.getByTestId('record').innerText();
    assert.match(shownRecord, new RegExp(`Data SHA-256\\s+${record.data.sha256}`));
    assert.match(shownRecord, /no champion to compare with/);
    assert.match(shownRecord, /isotonic on the holdout \(120 rows\)/);
    await screenshot(page, 'models-gate-decisions');
  });
});
