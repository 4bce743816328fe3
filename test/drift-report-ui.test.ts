import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { LocalArtifactStore } from '../engine/artifacts/local-artifact-store.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import { DriftReportIndex } from '../ml/reports/drift-report-index.ts';
import { launchBrowser, openPage, screenshot } from './helpers/browser.ts';
import { cliJson, REPO, runCli, tempDir } from './helpers/cli.ts';
import type { UpdraftProcess } from './helpers/processes.ts';
import { http, startWebserverProcess } from './helpers/webserver.ts';

// gate_alpha 0 and no holdout minimum: a worse candidate, retrained on v1's own rows, still promotes (v2 is needed)
const fast = { trees: 10, min_accuracy: 0.7, min_precision: 0.7, gate_alpha: 0, min_holdout_rows: 0 };
const CHURN_COLUMNS = 6;

describe('drift report page and model metrics chart in a real browser (chromium + playwright-core)', () => {
  let home: string;
  let web: UpdraftProcess;
  let url: string;
  let browser: Browser;
  let page: Page;

  before(async () => {
    home = tempDir('updraft-drift-ui-');
    const env = { UPDRAFT_HOME: home };
    writeChurnData(join(home, 'data', 'churn'), { drift: true, rows: 600 });
    // Two real retrains (v1, v2) and a rollback: three production periods to shade, two drift reports.
    for (const conf of [fast, { ...fast, retrain_cooldown_minutes: 0, seed: 3 }]) {
      const r = await runCli(
        [
          '--dags-folder',
          join(REPO, 'dags'),
          'dags',
          'test',
          'ml_retraining_pipeline',
          '--conf',
          JSON.stringify(conf),
          '--retry-delay-scale',
          '0',
        ],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
    }
    await cliJson(['models', 'rollback', 'churn', '-o', 'json'], env);

    // Two stored reports of other shapes: the newer drift report (method, threshold, share, a histogram
    // per column, a categorical column with a distance) and an old one with no histogram and no sources.
    const store = await openStoreWithPlugins({ home });
    const artifacts = new LocalArtifactStore({ root: join(home, 'artifacts') });
    const index = new DriftReportIndex(store);
    const fresh = {
      drift: true,
      method: 'psi',
      threshold: 0.2,
      share: 0.3,
      columns: [
        {
          column: 'contract',
          method: 'psi',
          statistic: 0.61,
          distance: 0.61,
          threshold: 0.2,
          drifted: true,
          histogram: {
            kind: 'categorical',
            categories: ['monthly', 'one_year', 'two_year'],
            reference: [50, 30, 20],
            current: [80, 15, 5],
          },
        },
        {
          column: 'age',
          method: 'psi',
          statistic: 0.02,
          distance: 0.02,
          threshold: 0.2,
          drifted: false,
          histogram: { kind: 'numeric', edges: [18, 30, 42, 54, 66], reference: [25, 25, 25, 25], current: [20, 30, 25, 25] },
        },
      ],
    };
    const put = async (dag: string, run: string, report: object, at: string) => {
      const { uri } = await artifacts.put(`reports/fraud/${dag}/${run}/drift.json`, JSON.stringify(report));
      await index.record(
        {
          artifactUri: uri,
          model: 'fraud',
          dagId: dag,
          runId: run,
          report: report as { drift: boolean; columns: Array<{ drifted: boolean }> },
        },
        new Date(at),
      );
    };
    await put(
      'ml_retraining_pipeline',
      'manual__old',
      {
        drift: false,
        alpha: 0.05,
        correction: 'bh',
        columns: [{ column: 'age', test: 'ks', statistic: 0.1, p_value: 0.4, p_value_adjusted: 0.4, drifted: false, psi: 0.01 }],
      },
      '2026-06-01T00:00:00Z',
    );
    await put('ml_retraining_pipeline', 'manual__new', fresh, '2026-06-02T00:00:00Z');
    // A report without histograms whose data sets are artifacts: the server computes its histograms.
    const ref = await artifacts.put('datasets/fraud/r/reference.csv', 'age,plan\n20,a\n30,a\n40,b\n');
    const cur = await artifacts.put('datasets/fraud/r/current.csv', 'age,plan\n60,a\n70,c\n');
    await put(
      'ml_retraining_scheduled',
      'manual__uris',
      {
        drift: true,
        alpha: 0.05,
        correction: 'bh',
        sources: { reference: ref.uri, current: cur.uri },
        columns: [
          { column: 'age', test: 'ks', statistic: 1, p_value: 0.01, p_value_adjusted: 0.02, drifted: true },
          { column: 'plan', test: 'chi2', statistic: 3, p_value: 0.2, p_value_adjusted: 0.2, drifted: false },
        ],
      },
      '2026-05-30T00:00:00Z',
    );
    const { uri } = await artifacts.put('models/fraud/x/model.json', '{}');
    await new (await import('../ml/registry/model-registry.ts')).ModelRegistry(store).register('fraud', uri, { accuracy: 0.9 }, null);
    await store.close();

    const logDir = join(home, 'logs');
    mkdirSync(logDir, { recursive: true });
    ({ process: web, url } = await startWebserverProcess(env, logDir));
    browser = await launchBrowser();
    page = await openPage(browser, { width: 1300, height: 900 });
  });

  after(async () => {
    await browser?.close();
    await web?.stop();
  });

  it("REST: a model's drift reports, newest first; one report with an SVG per column; bad names are 400/404", async () => {
    const list = await http(`${url}/api/v1/models/churn/drift_reports`);
    assert.equal(list.status, 200);
    assert.equal(list.json.total_entries, 2);
    const [newest] = list.json.drift_reports as Array<{ dag_id: string; dag_run_id: string; drift: boolean; columns: number }>;
    assert.deepEqual([newest!.dag_id, newest!.drift, newest!.columns], ['ml_retraining_pipeline', true, CHURN_COLUMNS]);
    const one = await http(`${url}/api/v1/models/churn/drift_reports/ml_retraining_pipeline/${encodeURIComponent(newest!.dag_run_id)}`);
    assert.equal(one.status, 200);
    assert.equal(one.json.histograms, 'stored', 'the pipeline stored a histogram for every column');
    assert.equal(one.json.columns.length, CHURN_COLUMNS);
    for (const c of one.json.columns) assert.match(c.svg, /^<svg .*class="histogram-chart"/);
    const computed = await http(`${url}/api/v1/models/fraud/drift_reports/ml_retraining_scheduled/manual__uris`);
    assert.equal(computed.json.histograms, 'computed');
    assert.deepEqual(
      computed.json.columns.map((c: { histogram: { kind: string; reference: number[]; current: number[] } }) => [
        c.histogram.kind,
        c.histogram.reference.reduce((a, b) => a + b),
        c.histogram.current.reduce((a, b) => a + b),
      ]),
      [
        ['numeric', 3, 2],
        ['categorical', 3, 2],
      ],
    );
    assert.equal((await http(`${url}/api/v1/models/fraud/drift_reports/ml_retraining_pipeline/manual__old`)).json.histograms, 'missing');
    assert.equal((await http(`${url}/api/v1/models/churn/drift_reports/ml_retraining_pipeline/nope`)).status, 404);
    assert.equal((await http(`${url}/api/v1/models/..%2Fetc/drift_reports`)).status, 400);
    const chart = await http(`${url}/api/v1/models/churn/metrics_chart`);
    assert.match(chart.type, /^image\/svg\+xml/);
    assert.equal((chart.text.match(/<rect class="production-period"/g) ?? []).length, 3);
  });

  it('the drift report page draws reference and current bars for every column, with axis labels and verdicts', async () => {
    await page.goto(`${url}/drift_reports?model=churn`);
    const cards = page.getByTestId('drift-column');
    await cards.first().locator('svg.histogram-chart').waitFor();
    assert.equal(await cards.count(), CHURN_COLUMNS);
    for (let i = 0; i < CHURN_COLUMNS; i++) {
      const card = cards.nth(i);
      const column = await card.getAttribute('data-column');
      assert.ok((await card.locator('svg rect.bar.reference').count()) > 1, `${column}: reference bars`);
      assert.equal(
        await card.locator('svg rect.bar.current').count(),
        await card.locator('svg rect.bar.reference').count(),
        `${column}: current bars`,
      );
      assert.equal(await card.locator('svg text.x-title').textContent(), column);
      assert.ok((await card.locator('svg text.x-tick').count()) >= 2, `${column}: x tick labels`);
      assert.equal(await card.locator('svg text.y-tick').count(), 3);
      // Drawn, not only present: the bars have a size on screen.
      const box = await card.locator('svg rect.bar.reference').first().boundingBox();
      assert.ok(box && box.width > 2, `${column}: bars are drawn`);
    }
    const drifted = await page
      .locator('[data-testid="drift-column"]:has(.verdict.drifted)')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-column')));
    assert.deepEqual(drifted.sort(), ['age', 'monthly_charges', 'usage_gb'], 'the synthetic drift moves these three');
    assert.equal(
      await page.getByTestId('drifted-share').innerText(),
      '3 of 6 columns drifted (50 %; the rule flags dataset drift at ≥ 50 %)',
    );
    assert.match(await cards.first().innerText(), /test\s+ks[\s\S]*statistic[\s\S]*p-value[\s\S]*threshold\s+0\.050/);
    assert.equal(await page.getByTestId('drift-reports').locator('tbody tr').count(), 2, "churn's two reports only");
    await screenshot(page, 'drift-report-churn');
  });

  it('the newer report shape: categorical bars, distance instead of p-value; an old report says no histogram stored', async () => {
    await page.goto(`${url}/drift_reports?model=fraud`);
    await page.locator('[data-column="contract"] svg').waitFor();
    const contract = page.locator('section[data-column="contract"]');
    assert.equal(await contract.locator('rect.bar.reference').count(), 3);
    assert.equal(await contract.locator('rect.bar.current').count(), 3);
    assert.deepEqual(await contract.locator('text.x-tick').allTextContents(), ['monthly', 'one_year', 'two_year']);
    assert.match(await contract.innerText(), /test\s+psi[\s\S]*distance\s+0\.6100[\s\S]*threshold\s+0\.200/);
    // The drifted share, and the rule's (0.3) only as the rule.
    assert.match(
      await page.getByTestId('drift-summary').innerText(),
      /method\s+psi[\s\S]*columns\s+1 of 2 columns drifted \(50 %; the rule flags dataset drift at ≥ 30 %\)/,
    );
    await screenshot(page, 'drift-report-fraud-new-shape');

    await page.getByRole('link', { name: 'manual__old' }).click();
    await page.getByTestId('no-histogram').waitFor();
    assert.equal(await page.getByTestId('no-histogram').innerText(), 'no histogram stored');
    assert.equal(await page.locator('svg.histogram-chart').count(), 0);
  });

  it('the model page charts metrics across versions: a line and a point per version, production periods shaded', async () => {
    await page.goto(`${url}/models?name=churn`);
    const chart = page.getByTestId('metrics-chart').locator('svg.metrics-chart');
    await chart.waitFor();
    const lines = await chart.locator('polyline.metric-line').evaluateAll((els) => els.map((e) => e.getAttribute('data-metric')));
    assert.deepEqual(lines, ['accuracy', 'precision', 'recall', 'f1', 'roc_auc']);
    assert.equal(await chart.locator('circle.point[data-metric="accuracy"]').count(), 2, 'v1 and v2');
    const bands = await chart.locator('rect.production-period').evaluateAll((els) => els.map((e) => e.getAttribute('data-version')));
    assert.deepEqual(bands, ['1', '2', '1'], 'v1, then v2, then the rollback to v1');
    const band = await chart.locator('rect.production-period').first().boundingBox();
    assert.ok(band && band.width >= 2 && band.height > 50, 'the band is drawn');
    assert.deepEqual(await chart.locator('text.x-tick').allTextContents(), ['v1', 'v2']);
    const yTicks = await chart.locator('text.y-tick').allTextContents();
    assert.ok(yTicks.length >= 3 && yTicks.every((t) => Number(t) >= 0 && Number(t) <= 1), yTicks.join(' '));
    await screenshot(page, 'model-metrics-chart');
    await page.getByTestId('drift-reports-link').click();
    await page.waitForURL('**/drift_reports?model=churn');
  });
});
