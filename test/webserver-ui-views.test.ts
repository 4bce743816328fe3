import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page, Request } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { seedHistory, wideDagSpec } from '../bench/synthetic-history.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { startWebserver } from '../engine/webserver/server.ts';
import { TaskInstanceState } from '../engine/models/states.ts';
import { tempDir } from './helpers/cli.ts';
import { launchBrowser, openPage, screenshot } from './helpers/browser.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';
import { http } from './helpers/webserver.ts';

/** A functional bound for the 1,000-task grid (load, draw, scroll to the last task), not a benchmark. */
const BIG_GRID_BOUND_MS = 30_000;
const WIDE = 'wide_dag';
const GRAPH = 'graph_dag';
const GRAPH_FILE_TEXT = `// graph_dag: 200 tasks in 10 groups\nimport { dag } from 'updraft';\n\nexport default dag('graph_dag');\n`;
const BROKEN_TEXT = `import { dag } from 'updraft';\n\nthrow new Error('broken on purpose');\n`;

describe('web UI views in a real browser: grid, graph, Gantt, task duration, code, actions, health, 404, deep links', () => {
  let redis: TestRedis;
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let url: string;
  let wideRuns: string[];
  let graphRuns: string[];
  const pageErrors: string[] = [];

  before(async () => {
    redis = await startRedis();
    const home = tempDir('updraft-ui-views-');
    store = await openStoreWithPlugins({ home });
    wideRuns = await seedHistory(store, wideDagSpec({ dagId: WIDE, tasks: 1000 }), 30);
    const graphFile = join(home, 'graph_dag.ts');
    writeFileSync(graphFile, GRAPH_FILE_TEXT);
    graphRuns = await seedHistory(
      store,
      wideDagSpec({ dagId: GRAPH, tasks: 200, groupSize: 20, params: { model: 'churn', trees: 20, fast: true } }),
      6,
      graphFile,
    );
    const broken = join(home, 'broken_dag.ts');
    writeFileSync(broken, BROKEN_TEXT);
    await store.importErrors.replaceAll([{ filename: broken, message: 'broken on purpose (at line 3)' }], new Date());
    process.env.UPDRAFT_LOG_LEVEL ??= 'warn';
    // The operations (clear, mark, trigger) wake the scheduler through this process's REDIS_URL: the private Redis, never 6379.
    process.env.REDIS_URL = redis.url;
    process.env.UPDRAFT_REDIS_PREFIX = redis.prefix;
    ({ app, url } = await startWebserver({ store, port: 0, redisUrl: redis.url, prefix: redis.prefix }));
    browser = await launchBrowser();
    page = await openPage(browser, { width: 1400, height: 900 });
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    await redis?.stop();
    assert.deepEqual(pageErrors, [], 'no uncaught error in any page');
  });

  it('grid of 1,000 tasks × 25 runs: duration bars, legend, hover and run details, groups, paging, only visible rows drawn, 304 polls', async () => {
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (response.url().includes(`/api/v1/dags/${WIDE}/grid`)) statuses.push(response.status());
    });
    const started = Date.now();
    await page.goto(`${url}/dags/${WIDE}`);
    const bars = page.locator('[data-run-bar]');
    await bars.first().waitFor();
    assert.equal(await bars.count(), 25, '25 runs shown by default');
    const newest = wideRuns.at(-1)!;
    assert.equal(await page.getByTestId(`run-${newest}`).getAttribute('data-state'), 'running');
    const heights = await page.locator('[data-testid="run-bar"]').evaluateAll((els) => els.map((el) => el.getBoundingClientRect().height));
    assert.ok(
      heights.every((px) => px >= 3),
      'every run has a bar',
    );
    assert.ok(new Set(heights.map(Math.round)).size > 1, `bar heights follow durations: ${heights.join(',')}`);
    // Every state the engine knows has its legend entry.
    for (const s of Object.values(TaskInstanceState)) assert.ok(await page.getByTestId(`legend-${s}`).isVisible(), `legend entry ${s}`);

    // Hover: run id, logical date, state and duration.
    const finished = wideRuns.at(-2)!;
    const title = await page.getByTestId(`run-${finished}`).getAttribute('title');
    assert.match(
      title!,
      new RegExp(
        `${finished.replace(/[.+]/g, '\\$&')}\\nlogical date \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\nstate (success|failed)\\nduration \\d+ m \\d\\d s`,
      ),
    );
    const drawnRows = await page.locator('.grid-row').count();
    assert.ok(drawnRows > 20 && drawnRows < 120, `only the rows in view are in the DOM (${drawnRows} of 1,020)`);
    await screenshot(page, 'views-01-grid-1000-tasks');

    // Scroll to the last task: it is drawn, within a generous bound.
    await page.getByTestId('grid').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.locator('[data-task-row="group_19.task_049"]').waitFor();
    assert.ok(Date.now() - started < BIG_GRID_BOUND_MS, `loaded and scrolled in ${Date.now() - started} ms`);
    const headTop = await page
      .locator('.grid-head')
      .evaluate((el) => el.getBoundingClientRect().top - el.parentElement!.getBoundingClientRect().top);
    assert.ok(Math.abs(headTop) <= 1, 'the run bars stay on top while the rows scroll (sticky header)');
    await screenshot(page, 'views-02-grid-scrolled-to-the-end');
    await page.getByTestId('grid').evaluate((el) => el.scrollTo(0, 0));

    // Run details: click a run's bar; the URL names it.
    await page.getByTestId(`run-${finished}`).click();
    await page.getByTestId('run-details').waitFor();
    assert.match(await page.getByTestId('task-panel').innerText(), new RegExp(finished.replace(/[.+]/g, '\\$&')));
    assert.match(await page.getByTestId('run-details-list').innerText(), /logical date[\s\S]*duration\s+\d+ m/);
    assert.equal(new URL(page.url()).searchParams.get('run'), finished);

    // Groups fold and unfold.
    const group = page.getByTestId('group-group_00');
    await group.locator('.grid-label').click();
    await page.locator('[data-testid="group-group_00"][aria-expanded="false"]').waitFor();
    assert.equal(await page.locator('[data-task-row="group_00.task_001"]').count(), 0, 'a folded group hides its tasks');
    assert.equal(await page.locator('[data-testid="group-group_00"] .cell').count(), 25, 'a folded group shows one summary cell per run');
    await page.getByTestId('collapse-all').click();
    assert.equal(await page.locator('[data-task-row]').count(), 0);
    await screenshot(page, 'views-03-grid-groups-collapsed');
    await page.getByTestId('expand-all').click();
    await page.locator('[data-task-row="group_00.task_001"]').waitFor();

    // Runs shown and paging into older runs.
    await page.getByTestId('runs-shown').selectOption('50');
    await page.waitForFunction(() => document.querySelectorAll('[data-run-bar]').length === 30);
    await page.getByTestId('runs-shown').selectOption('25');
    await page.waitForFunction(() => document.querySelectorAll('[data-run-bar]').length === 25);
    await page.getByTestId('runs-older').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-run-bar]').length === 5);
    assert.match(await page.getByTestId('runs-range').innerText(), /runs 1–5 of 30/);
    assert.ok(await page.getByTestId(`run-${wideRuns[0]}`).isVisible(), 'the oldest run is on the older page');
    assert.equal(new URL(page.url()).searchParams.get('offset'), '25');
    await page.getByTestId('runs-newer').click();
    await page.waitForFunction(() => document.querySelectorAll('[data-run-bar]').length === 25);

    // Polling asks with If-None-Match: nothing changed, so the answers are empty 304s.
    const before304 = statuses.filter((s) => s === 304).length;
    await page.waitForResponse((r) => r.url().includes(`/api/v1/dags/${WIDE}/grid`) && r.status() === 304);
    await page.waitForResponse((r) => r.url().includes(`/api/v1/dags/${WIDE}/grid`) && r.status() === 304);
    assert.ok(statuses.filter((s) => s === 304).length >= before304 + 2, `grid polls answered 304: ${statuses.join(',')}`);
  });

  it('grid API: ETag and If-None-Match → 304 on the grid, run and task endpoints', async () => {
    for (const path of [
      `/dags/${WIDE}/grid?limit=25`,
      `/dags/${GRAPH}/dagRuns/${encodeURIComponent(graphRuns[0]!)}`,
      `/dags/${GRAPH}/dagRuns/${encodeURIComponent(graphRuns[0]!)}/taskInstances`,
    ]) {
      const first = await fetch(`${url}/api/v1${path}`);
      const etag = first.headers.get('etag');
      assert.ok(etag, path);
      const again = await fetch(`${url}/api/v1${path}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304, path);
      assert.equal(await again.text(), '');
      const stale = await fetch(`${url}/api/v1${path}`, { headers: { 'if-none-match': '"stale"' } });
      assert.equal(stale.status, 200, path);
    }
  });

  it('graph of 200 tasks: dagre layout, fit to screen, zoom, nodes coloured by the run, faded edges of branches not followed, not under the panel', async () => {
    const run = graphRuns.at(-2)!;
    await page.goto(`${url}/dags/${GRAPH}?view=graph&run=${encodeURIComponent(run)}`);
    await page.locator('[data-node]').first().waitFor();
    assert.equal(await page.locator('[data-node]').count(), 200);
    assert.equal(await page.getByTestId('node-group_00.task_000').getAttribute('data-state'), 'success');
    assert.equal(await page.getByTestId('node-group_00.task_005').getAttribute('data-state'), 'skipped');
    const faded = page.locator('[data-edge="group_00.task_004->group_00.task_005"]');
    assert.equal(await faded.getAttribute('data-followed'), 'false');
    assert.ok(Number(await faded.evaluate((el) => getComputedStyle(el).opacity)) < 0.5, 'drawn faded');
    assert.equal(
      await page.locator('[data-edge][data-followed="true"]').count(),
      200 - 10 - (await page.locator('[data-edge][data-followed="false"]').count()),
    );
    const box = await page.locator('.graph-box').boundingBox();
    const panel = await page.getByTestId('task-panel').boundingBox();
    assert.ok(box!.x + box!.width <= panel!.x, 'the graph ends where the task panel begins');
    // First view of a big DAG: readable (the top-left node has legible size) rather than fitted to a speck.
    const first = await page.getByTestId('node-group_00.task_000').boundingBox();
    assert.ok(first!.width >= 130, `a node is readable: ${first!.width}px wide`);
    await screenshot(page, 'views-04-graph-200-tasks');

    await page.getByTestId('graph-fit').click();
    const inView = await page.locator('[data-node]').evaluateAll(
      (nodes, b) =>
        nodes.filter((n) => {
          const r = n.getBoundingClientRect();
          return r.left >= b.x - 1 && r.right <= b.x + b.width + 1 && r.top >= b.y - 1 && r.bottom <= b.y + b.height + 1;
        }).length,
      box!,
    );
    assert.equal(inView, 200, 'Fit puts every node in view');
    await screenshot(page, 'views-05-graph-fitted');
    const fitted = (await page.getByTestId('node-group_00.task_000').boundingBox())!.width;
    await page.getByTestId('graph-zoom-in').click();
    assert.ok((await page.getByTestId('node-group_00.task_000').boundingBox())!.width > fitted, 'zoom in');
    await page.mouse.move(box!.x + 50, box!.y + box!.height - 20);
    await page.mouse.down();
    await page.mouse.move(box!.x + 250, box!.y + box!.height - 120, { steps: 4 });
    await page.mouse.up();

    // A node opens its task in the panel; the URL names dag, run and task.
    await page.getByTestId('graph-fit').click();
    await page.getByTestId('node-group_00.task_000').click();
    await page.getByTestId('task-log').waitFor();
    const link = new URL(page.url());
    assert.deepEqual(
      [link.pathname, link.searchParams.get('view'), link.searchParams.get('run'), link.searchParams.get('task')],
      [`/dags/${GRAPH}`, 'graph', run, 'group_00.task_000'],
    );
  });

  it('Gantt of a run: a bar per try, queued apart from running, the retry visible; task duration across runs', async () => {
    const run = graphRuns.at(-2)!;
    await page.goto(`${url}/dags/${GRAPH}?view=gantt&run=${encodeURIComponent(run)}`);
    await page.getByTestId('gantt-row-group_00.task_000').waitFor();
    // Task 0 of each group failed once and succeeded on its second try (the seed's retries).
    const retried = page.getByTestId('gantt-row-group_00.task_000');
    assert.equal(await retried.getByTestId('gantt-bar-group_00.task_000-1').getAttribute('data-state'), 'failed');
    assert.equal(await retried.getByTestId('gantt-bar-group_00.task_000-2').getAttribute('data-state'), 'success');
    assert.match(await retried.getByTestId('gantt-bar-group_00.task_000-2').innerText(), /try 2/);
    const queued = await retried.getByTestId('gantt-queued-group_00.task_000-1').boundingBox();
    const ran = await retried.getByTestId('gantt-bar-group_00.task_000-1').boundingBox();
    assert.ok(queued!.x + queued!.width <= ran!.x + 1, 'queued time ends where running time begins');
    const queuedTasks = new Set(
      (await http(`${url}/api/v1/dags/${GRAPH}/dagRuns/${encodeURIComponent(run)}/gantt`)).json.task_instances
        .filter((t: { queued_at: string | null }) => t.queued_at !== null)
        .map((t: { task_id: string }) => t.task_id),
    );
    assert.ok(queuedTasks.size > 190);
    assert.equal(await page.locator('[data-testid^="gantt-row-"]').count(), queuedTasks.size, 'a row per task that was queued');
    await screenshot(page, 'views-06-gantt');

    await page.getByTestId('view-duration').click();
    await page.locator('[data-testid^="duration-line-"]').first().waitFor();
    assert.equal(await page.locator('[data-testid^="duration-line-"]').count(), 10);
    assert.ok((await page.locator('[data-testid="duration-chart"] circle').count()) >= 40, 'a point per task per finished run');
    await screenshot(page, 'views-07-task-duration');
  });

  it('Code: the DAG file with its fingerprint and parse time; an import error opens its file at the failing line', async () => {
    await page.goto(`${url}/dags/${GRAPH}?view=code`);
    await page.getByTestId('code').waitFor();
    assert.equal(await page.getByTestId('code-fingerprint').innerText(), 'synthetic000000');
    assert.match(await page.getByTestId('code-meta').innerText(), /parsed at\s+\d{4}-\d\d-\d\d/);
    assert.equal(await page.locator('[data-testid="code"] li').count(), GRAPH_FILE_TEXT.split('\n').length);
    assert.ok(
      await page.getByTestId('code-changed').isVisible(),
      'the file differs from what was parsed (the seed made up the fingerprint)',
    );
    await screenshot(page, 'views-08-code');

    await page.goto(url);
    await page.getByTestId('show-source-broken_dag.ts').click();
    const marked = page.getByTestId('code-marked-line');
    await marked.waitFor();
    assert.equal(await marked.innerText(), "throw new Error('broken on purpose');");
    assert.equal(await page.locator('[data-testid="import-errors"] ol.code li').count(), BROKEN_TEXT.split('\n').length);
    await screenshot(page, 'views-09-import-error-source');
    assert.equal(
      (await http(`${url}/api/v1/importErrors/source?filename=${encodeURIComponent('/etc/passwd')}`)).status,
      404,
      'only files with an import error are served',
    );
  });

  it('actions: clear with downstream (dry-run list, then real), mark task / run, delete run — each behind a confirmation; conf-aware Trigger', async () => {
    const run = graphRuns.at(-2)!;
    const task = 'group_01.task_018';
    await page.goto(`${url}/dags/${GRAPH}?run=${encodeURIComponent(run)}&task=${task}`);
    await page.getByTestId('clear-button').click();
    assert.match(await page.getByTestId('confirm-text').innerText(), new RegExp(`Run ${task} of .* again, as a new try`));
    await page.getByTestId('confirm-preview-list').waitFor();
    assert.equal(await page.locator('[data-testid="confirm-preview-list"] li').count(), 1);
    await page.getByTestId('confirm-option-downstream').check();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="confirm-preview-list"] li').length === 2);
    assert.match(await page.getByTestId('confirm-preview-list').innerText(), /group_01\.task_019/);
    await screenshot(page, 'views-10-clear-confirmation');
    await page.getByTestId('confirm-no').click();
    assert.equal((await store.tasks.latestTries(GRAPH, run)).get(task)!.tryNumber, 1, 'cancel changes nothing');
    const tryNumbers = async () => {
      const latest = await store.tasks.latestTries(GRAPH, run);
      return ['group_01.task_017', task, 'group_01.task_019'].map((id) => latest.get(id)!.tryNumber);
    };
    const [upstream, cleared, downstream] = await tryNumbers();
    await page.getByTestId('clear-button').click();
    await page.getByTestId('confirm-option-downstream').check();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
    assert.deepEqual(
      await tryNumbers(),
      [upstream, cleared! + 1, downstream! + 1],
      'the task and its downstream got a new try, its upstream did not',
    );
    await page.getByTestId(`try-${cleared! + 1}`).waitFor();

    // Mark a task and a run, delete a run: the real API, its requests observed.
    const requests: Array<{ method: string; path: string; body: unknown }> = [];
    const observe = (request: Request) =>
      requests.push({ method: request.method(), path: new URL(request.url()).pathname, body: request.postDataJSON() });
    const taskApi = `/api/v1/dags/${GRAPH}/dagRuns/${encodeURIComponent(run)}/taskInstances/${task}`;
    const runApi = `/api/v1/dags/${GRAPH}/dagRuns/${encodeURIComponent(run)}`;
    page.on('request', (request) => ['PATCH', 'DELETE'].includes(request.method()) && observe(request));
    await page.getByTestId('mark-success-button').click();
    await page.getByTestId('confirm-option-downstream').check();
    await page.getByTestId('confirm-preview-list').waitFor();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
    const patches = requests.filter((r) => r.method === 'PATCH' && r.path === taskApi);
    assert.deepEqual(
      patches.map((r) => r.body),
      [
        { new_state: 'success', dry_run: true, include_upstream: false, include_downstream: false },
        { new_state: 'success', dry_run: true, include_upstream: false, include_downstream: true },
        { new_state: 'success', dry_run: false, include_upstream: false, include_downstream: true },
      ].slice(patches.length === 3 ? 0 : 1),
    );
    assert.equal((await store.tasks.latestTries(GRAPH, run)).get(task)!.state, 'success', 'the task is marked');

    await page.goto(`${url}/dags/${GRAPH}?run=${encodeURIComponent(run)}`);
    await page.getByTestId('run-mark-failed').click();
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
    assert.deepEqual(
      requests.filter((r) => r.method === 'PATCH' && r.path === runApi).map((r) => r.body),
      [{ state: 'failed' }],
    );
    await page.getByTestId('run-delete').click();
    assert.match(await page.getByTestId('confirm-text').innerText(), /cannot be undone/);
    await screenshot(page, 'views-11-delete-run-confirmation');
    await page.getByTestId('confirm-yes').click();
    await page.getByTestId('confirm-dialog').waitFor({ state: 'hidden' });
    assert.equal(requests.filter((r) => r.method === 'DELETE' && r.path === runApi).length, 1);
    assert.equal(new URL(page.url()).searchParams.get('run'), null, 'the deleted run is no longer open');
    assert.equal(await store.runs.get(GRAPH, run), undefined, 'the run is deleted');

    // Trigger shows the params with their defaults; a changed field lands in the conf.
    await page.getByTestId('trigger-button').click();
    assert.equal(await page.getByTestId('param-model').inputValue(), 'churn');
    assert.equal(await page.getByTestId('param-fast').isChecked(), true);
    await page.getByTestId('param-trees').fill('50');
    assert.deepEqual(JSON.parse(await page.getByTestId('conf-editor').inputValue()), { model: 'churn', trees: 50, fast: true });
    await screenshot(page, 'views-12-trigger-with-params');
    await page.getByTestId('trigger-submit').click();
    await page.getByTestId('trigger-dialog').waitFor({ state: 'hidden' });
    const runs = (await http(`${url}/api/v1/dags/${GRAPH}/dagRuns?limit=1`)).json.dag_runs;
    assert.deepEqual(runs[0].conf, { model: 'churn', trees: 50, fast: true });
    assert.equal(new URL(page.url()).searchParams.get('run'), runs[0].run_id, 'the new run is open');
  });

  it('deep link: the URL opens the DAG, view, run, task and try', async () => {
    // Not the run the actions test deleted.
    const run = graphRuns.at(-3)!;
    await page.goto(`${url}/dags/${GRAPH}?view=gantt&run=${encodeURIComponent(run)}&task=group_00.task_000&try=1`);
    await page.getByTestId('try-details').waitFor();
    assert.equal(await page.getByTestId('view-gantt').getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByTestId('try-1').getAttribute('aria-selected'), 'true');
    assert.match(await page.getByTestId('try-details').innerText(), /failed/);
    await page.getByTestId('try-2').click();
    await page.waitForURL(/try=2/);
    // The URL changes before the details redraw: wait for try 2's details (a wait that fails the test if they never come).
    await page
      .getByTestId('try-details')
      .filter({ hasText: /try\s*2/ })
      .waitFor({ timeout: 10_000 });
    assert.match(await page.getByTestId('try-details').innerText(), /success/);
  });

  it('health page, favicon, and a real 404 page for an unknown DAG or path', async () => {
    // Beating now (a minute-old beat is a worker gone): a live scheduler and a worker that runs the newest wide_dag run's running tries (the seed's worker id).
    const now = new Date().toISOString();
    await store.schedulerJobs.heartbeat({
      id: 'scheduler-ui-test',
      hostname: hostname(),
      startedAt: now,
      latestHeartbeat: now,
      lastLoopMs: 12,
    });
    await store.schedulerJobs.heartbeat({
      id: `worker:bench-host:1:${Date.now()}`,
      jobType: 'WorkerJob',
      hostname: 'bench-host',
      startedAt: now,
      latestHeartbeat: now,
      lastLoopMs: 0,
    });
    // An idle worker: its queues come from its own heartbeat row, not from tries it runs.
    await store.schedulerJobs.heartbeat({
      id: `worker:idle-host:7:${Date.now()}`,
      jobType: 'WorkerJob',
      hostname: 'idle-host',
      startedAt: now,
      latestHeartbeat: now,
      lastLoopMs: 0,
      queues: ['training', 'gpu'],
    });
    await page.goto(`${url}/health`);
    await page.getByTestId('workers-table').waitFor();
    assert.match(await page.locator('[data-worker="idle-host:7"]').innerText(), /idle-host[\s\S]*gpu, training/);
    assert.match(await page.getByTestId('health-scheduler').innerText(), /healthy\s+last heartbeat \d/);
    assert.match(await page.getByTestId('health-metadatabase').innerText(), /healthy\s+sqlite/);
    assert.match(await page.getByTestId('health-redis').innerText(), /^Redis\s+healthy/);
    const worker = await page.locator('[data-worker="bench-host:1"]').innerText();
    assert.match(worker, /bench-host[\s\S]*default[\s\S]*wide_dag · group_00\.task_025 · try 1/);
    await page.locator('[data-queue="default"]').waitFor();
    await screenshot(page, 'views-13-health');

    const icon = await http(`${url}/favicon.ico`);
    assert.equal(icon.status, 200);
    assert.match(icon.type, /image\/svg\+xml/);
    assert.equal(await page.locator('link[rel="icon"]').getAttribute('href'), '/favicon.ico');

    const response = await page.goto(`${url}/dags/no_such_dag`);
    assert.equal(response!.status(), 404);
    await page.getByTestId('not-found').waitFor();
    assert.match(await page.getByTestId('not-found').innerText(), /DAG 'no_such_dag' not found/);
    assert.equal(await page.getByTestId('trigger-button').count(), 0, 'no Trigger button for a DAG that does not exist');
    await screenshot(page, 'views-14-404');
    const elsewhere = await page.goto(`${url}/no/such/page`);
    assert.equal(elsewhere!.status(), 404);
    await page.getByTestId('not-found').waitFor();
    assert.match((await http(`${url}/api/v1/nothing`)).type, /^application\/problem\+json/, 'the API still answers problems');
  });
});
