import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ModelRegistry } from '../ml/registry/model-registry.ts';
import { writeChurnData } from '../ml/demo/synthetic-data.ts';
import { REPO, tempDir } from './helpers/cli.ts';
import { TestCluster } from './helpers/cluster.ts';
import { launchBrowser, openPage, screenshot } from './helpers/browser.ts';
import { waitFor } from './helpers/processes.ts';
import { http, startWebserverProcess } from './helpers/webserver.ts';

const DAG_ID = 'ml_retraining_pipeline';
const TASKS = ['check_drift', 'claim_retrain', 'train_model', 'validate', 'deploy_model'];
/** Generous: a training run on a loaded CI machine. Only stops a broken test from hanging. */
const RUN_DEADLINE_MS = 240_000;

describe('web UI in a real browser (chromium + playwright-core)', () => {
  let cluster: TestCluster;
  let browser: Browser;
  let page: Page;
  let url: string;

  before(async () => {
    const home = tempDir('updraft-ui-');
    writeChurnData(join(home, 'data', 'churn'), { drift: true });
    const folder = tempDir('updraft-ui-dags-');
    writeFileSync(
      join(folder, 'ml_retraining_pipeline.ts'),
      `export { default } from ${JSON.stringify(join(REPO, 'dags', 'ml_retraining_pipeline.ts'))};\n`,
    );
    writeFileSync(join(folder, 'broken_dag.ts'), `throw new Error('this DAG file is broken on purpose');\n`);
    cluster = await TestCluster.start(folder, {
      UPDRAFT_HOME: home,
      UPDRAFT_WORKER_LOCK_SECONDS: '60',
      UPDRAFT_ZOMBIE_THRESHOLD_SECONDS: '120',
    });
    // The scheduler's clock sits just after the DAG's start date: it creates no @daily run of its own.
    cluster.scheduler({ UPDRAFT_NOW: '2026-06-01T06:00:00Z' });
    cluster.worker(['--concurrency', '2']);
    cluster.worker(['--concurrency', '2']);
    mkdirSync(cluster.logDir, { recursive: true });
    const web = await startWebserverProcess(cluster.env, cluster.logDir);
    cluster.processes.push(web.process);
    url = web.url;
    browser = await launchBrowser();
    page = await openPage(browser, { width: 1400, height: 900 });
  });

  after(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('DAG list → trigger ml_retraining_pipeline with a conf → its grid cells turn green → a task log → graph → pause', async () => {
    await page.goto(url);
    const row = page.locator(`tr[data-dag-id="${DAG_ID}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /@daily/);
    assert.match(await row.innerText(), /ml_team/);
    assert.match(await page.getByTestId('import-errors').innerText(), /broken_dag\.ts: .*broken on purpose/);
    await screenshot(page, '1-dag-list');

    await row.getByRole('link', { name: DAG_ID }).click();
    await page.waitForURL(`**/dags/${DAG_ID}`);
    await page.getByTestId('trigger-button').click();
    const editor = page.getByTestId('conf-editor');
    assert.match(await editor.inputValue(), /"model": "churn"/, 'the editor starts from the DAG params');
    await editor.fill('{"trees": 20,');
    await page.getByTestId('trigger-submit').click();
    assert.match(await page.getByTestId('conf-error').innerText(), /not valid JSON/);
    await editor.fill('[1, 2]');
    await page.getByTestId('trigger-submit').click();
    assert.match(await page.getByTestId('conf-error').innerText(), /must be a JSON object/);
    assert.equal((await http(`${url}/api/v1/dags/${DAG_ID}/dagRuns`)).json.total_entries, 0, 'invalid conf created nothing');
    await editor.fill('{"trees": 20}');
    await page.getByTestId('trigger-submit').click();
    await page.getByTestId('trigger-dialog').waitFor({ state: 'hidden' });

    const runs = (await http(`${url}/api/v1/dags/${DAG_ID}/dagRuns`)).json.dag_runs;
    assert.equal(runs.length, 1);
    const runId: string = runs[0].run_id;
    assert.deepEqual(runs[0].conf, { trees: 20 });
    await page.getByTestId(`run-${runId}`).waitFor();
    await screenshot(page, '2-dag-grid-running');
    // The page refreshes itself: no reload here, only waiting for its cells.
    await page.locator(`[data-testid="run-${runId}"][data-state="success"]`).waitFor({ timeout: RUN_DEADLINE_MS });
    for (const task of TASKS) {
      const cell = page.getByTestId(`cell-${runId}-${task}`);
      assert.equal(await cell.getAttribute('data-state'), 'success', task);
      assert.equal(await cell.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(0, 128, 0)', `${task} is Airflow's green`);
    }

    await page.getByTestId(`cell-${runId}-check_drift`).click();
    const log = page.getByTestId('task-log');
    await page.waitForFunction(() => /Marking task as SUCCESS/.test(document.querySelector('[data-testid="task-log"]')?.textContent ?? ''));
    assert.match(await log.innerText(), /Starting try 1/);
    const details = await page.getByTestId('try-details').innerText();
    assert.match(details, /success/);
    assert.match(details, /:\d+/, 'the worker that ran it (host:pid)');
    await screenshot(page, '3-dag-grid-task-log');

    // Clear check_drift: it runs again as try 2 and turns green again; try 1 keeps its log.
    await page.getByTestId('clear-button').click();
    assert.match(await page.getByTestId('confirm-text').innerText(), /Run check_drift of .* again, as a new try/);
    await page.getByTestId('confirm-yes').click();
    await page
      .locator(`[data-testid="cell-${runId}-check_drift"][data-try="2"][data-state="success"]`)
      .waitFor({ timeout: RUN_DEADLINE_MS });
    await page.locator(`[data-testid="run-${runId}"][data-state="success"]`).waitFor({ timeout: RUN_DEADLINE_MS });
    const checkTries = (await http(`${url}/api/v1/dags/${DAG_ID}/dagRuns/${encodeURIComponent(runId)}/taskInstances/check_drift/tries`))
      .json.task_instances;
    assert.deepEqual(
      checkTries.map((x: { try_number: number; state: string }) => [x.try_number, x.state]),
      [
        [1, 'success'],
        [2, 'success'],
      ],
    );
    await page.getByTestId('try-1').click();
    await page.waitForFunction(() => /Starting try 1/.test(document.querySelector('[data-testid="task-log"]')?.textContent ?? ''));

    await page.getByTestId('view-graph').click();
    for (const task of TASKS) assert.equal(await page.getByTestId(`node-${task}`).getAttribute('data-state'), 'success', task);
    assert.equal(await page.locator('[data-edge]').count(), TASKS.length - 1);
    await screenshot(page, '4-dag-graph');

    const toggle = page.getByTestId('pause-toggle');
    assert.equal(await toggle.isChecked(), true);
    await toggle.uncheck();
    await waitFor('the DAG to be paused', async () => (await http(`${url}/api/v1/dags/${DAG_ID}`)).json.is_paused === true);
    await page.goto(url);
    assert.equal(await page.getByTestId(`pause-toggle-${DAG_ID}`).isChecked(), false);
    assert.equal(await page.getByTestId(`last-run-${DAG_ID}`).innerText(), 'success');

    // With a scheduler running, health says so and /metrics carries its loop time.
    assert.equal((await http(`${url}/api/v1/health`)).json.scheduler.status, 'healthy');
    const metrics = (await http(`${url}/metrics`)).text;
    assert.match(metrics, /^updraft_scheduler_loop_seconds \d/m);
    assert.match(
      metrics,
      new RegExp(`^updraft_task_duration_seconds_count\\{state="success"\\} ${TASKS.length + 1}$`, 'm'),
      "every task plus the cleared one's second try",
    );
  });

  it('Models page: the pipeline promoted churn v1; promote v2, then roll back, each behind a confirmation', async () => {
    const registry = new ModelRegistry(cluster.store);
    const v1 = await registry.version('churn', 1);
    assert.equal(v1.stage, 'Production', 'the pipeline run promoted its model');
    await registry.register('churn', v1.artifactUri, { accuracy: 0.97 }, null);

    await page.goto(`${url}/models`);
    await page.getByTestId('promote-2').waitFor();
    assert.equal(await page.getByTestId('production-version').innerText(), 'In production: v1');
    await screenshot(page, '5-models');

    await page.getByTestId('promote-2').click();
    assert.match(await page.getByTestId('confirm-text').innerText(), /Promote churn v2/);
    await page.getByTestId('confirm-no').click();
    assert.equal((await registry.production('churn'))?.version, 1, 'cancel changes nothing');

    await page.getByTestId('promote-2').click();
    await page.getByTestId('confirm-yes').click();
    await page.locator('[data-testid="stage-2"]', { hasText: 'Production' }).waitFor();
    assert.equal((await registry.production('churn'))?.version, 2);
    assert.equal(await page.locator('[data-testid="timeline"] .period').count(), 2);
    await screenshot(page, '6-models-promoted');

    await page.getByTestId('rollback-button').click();
    await page.getByTestId('confirm-yes').click();
    await page.locator('[data-testid="stage-1"]', { hasText: 'Production' }).waitFor();
    assert.equal((await registry.production('churn'))?.version, 1);
    assert.deepEqual(
      (await registry.history('churn')).map((p) => p.version),
      [1, 2, 1],
    );
    await screenshot(page, '7-models-rolled-back');
  });

  it('with an API token, the page asks for it once on the first write and keeps it', async () => {
    const env = { ...cluster.env, UPDRAFT_API_TOKEN: 'ui-test-token-of-24-chars' };
    const guarded = await startWebserverProcess(env, cluster.logDir, ['--host', '0.0.0.0']);
    cluster.processes.push(guarded.process);
    const base = guarded.url.replace('0.0.0.0', '127.0.0.1');
    const tokenPage = await browser.newPage();
    const prompts: string[] = [];
    tokenPage.on('dialog', (dialog) => {
      prompts.push(dialog.message());
      void dialog.accept('ui-test-token-of-24-chars');
    });
    await tokenPage.goto(base);
    const toggle = tokenPage.getByTestId(`pause-toggle-${DAG_ID}`);
    await toggle.waitFor();
    const pausedBefore: boolean = (await http(`${base}/api/v1/dags/${DAG_ID}`)).json.is_paused;
    await toggle.click();
    await waitFor(
      'the write to land with the token',
      async () => (await http(`${base}/api/v1/dags/${DAG_ID}`)).json.is_paused === !pausedBefore,
    );
    await toggle.click();
    await waitFor('the second write, no prompt', async () => (await http(`${base}/api/v1/dags/${DAG_ID}`)).json.is_paused === pausedBefore);
    assert.equal(prompts.length, 1, prompts.join(' | '));
    assert.match(prompts[0]!, /UPDRAFT_API_TOKEN/);
    await tokenPage.close();
  });
});
