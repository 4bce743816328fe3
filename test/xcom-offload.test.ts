import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openArtifactStore } from '../engine/artifacts/open-artifact-store.ts';
import type { ArtifactStore } from '../engine/artifacts/interfaces.ts';
import { localExecutorId, runDagRunLocally } from '../engine/execution/local-executor.ts';
import { closeXComArtifactStores } from '../engine/execution/xcom-artifacts.ts';
import { DagRunType } from '../engine/models/states.ts';
import { clearTaskInstances } from '../engine/operations/clear-task-instances.ts';
import { deleteDagRun } from '../engine/operations/delete-dag-run.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { createWebserver } from '../engine/webserver/server.ts';
import { systemClock } from '../engine/utils/clock.ts';
import { largeXcom } from './fixtures/xcom/large-xcom.ts';
import { dagFolderFrom, runCli, tempDir } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase, type ThrowawayDatabase } from './helpers/postgres.ts';

// Bounded XCom (Airflow's object-storage XCom backend): a large return value goes to the
// artifact store and its xcom row holds a small reference; readers get the whole value.

const available = await postgresAnswers();
if (!available && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

const folder = dagFolderFrom('xcom/large-xcom.ts');
// No scheduler to notify and no Redis jobs to remove: nothing answers on this port.
const NO_REDIS = 'redis://127.0.0.1:9';
process.env.REDIS_URL = NO_REDIS;
const ROWS = 1_000_000;
const rowsSha = createHash('sha256').update('r'.repeat(ROWS)).digest('hex');

interface TestResult {
  run_id: string;
  state: string;
  task_instances: Array<{ task_id: string; state: string; error: string | null }>;
}

async function dagsTest(env: Record<string, string>, extra: string[] = []): Promise<TestResult> {
  const r = await runCli(['--dags-folder', folder, 'dags', 'test', 'large_xcom', '-o', 'json', ...extra], { REDIS_URL: NO_REDIS, ...env });
  assert.ok(r.stdout.trim().startsWith('{'), `no JSON from dags test: ${r.stderr}`);
  return JSON.parse(r.stdout) as TestResult;
}

/** A run of the same DAG in this process (as `dags test` runs it), once a `dags test` has stored the DAG. */
async function runHere(store: Store, day: string, conf: Record<string, unknown> = {}): Promise<TestResult> {
  const logicalDate = new Date(day);
  const run = (await store.runs.create(
    largeXcom.toSpec(),
    {
      runId: `manual__${day}`,
      runType: DagRunType.MANUAL,
      logicalDate,
      conf,
      dataInterval: largeXcom.timetable.manualDataInterval(logicalDate),
      executor: localExecutorId(),
    },
    new Date(),
  ))!;
  const state = await runDagRunLocally(store, largeXcom, run, systemClock);
  const tries = await store.tasks.allTries(run.dagId, run.runId);
  return { run_id: run.runId, state, task_instances: tries.map((t) => ({ task_id: t.taskId, state: t.state, error: t.error })) };
}

/** Bytes of each task's stored xcom value, as the database holds it. */
async function storedSizes(store: Store, runId: string): Promise<Record<string, number>> {
  const rows = await sql<{
    task_id: string;
    n: number;
  }>`select task_id, length(value) as n from xcom where dag_id = 'large_xcom' and run_id = ${runId}`.execute(store.db);
  return Object.fromEntries(rows.rows.map((r) => [r.task_id, Number(r.n)]));
}

after(() => closeXComArtifactStores());

const xcomKeys = async (artifacts: ArtifactStore): Promise<string[]> => (await artifacts.list('xcom/')).map((a) => a.key);

describe('bounded XCom on SQLite', () => {
  const home = tempDir();
  let store: Store;
  let artifacts: ArtifactStore;
  before(async () => {
    store = await openStoreWithPlugins({ home });
    artifacts = openArtifactStore({ home, databaseUrl: '' });
  });
  after(async () => {
    await store.close();
    await artifacts.close();
  });

  it('a 1 MB value goes to the artifact store; the row is small; downstream, REST and CLI read it whole; clear and delete-run remove it', async () => {
    const first = await dagsTest({ UPDRAFT_HOME: home }, ['--logical-date', '2026-01-01']);
    const second = await runHere(store, '2026-01-02');
    for (const run of [first, second]) assert.equal(run.state, 'success', JSON.stringify(run.task_instances));

    const sizes = await storedSizes(store, first.run_id);
    assert.ok(sizes.produce! < 400, `the produce row holds a reference, not the value (${sizes.produce} bytes)`);
    assert.deepEqual(
      (await store.xcom.forRun('large_xcom', first.run_id)).get('consume'),
      { length: ROWS, sha256: rowsSha, note: 'größer' },
      'downstream got the whole value',
    );
    const keys = await xcomKeys(artifacts);
    assert.equal(keys.length, 2, keys.join(', '));
    assert.ok((await artifacts.list(`xcom/large_xcom/`)).every((a) => a.size > ROWS));

    const app = await createWebserver({ store, plugins: [] });
    try {
      const base = `/api/v1/dags/large_xcom/dagRuns/${encodeURIComponent(first.run_id)}/taskInstances/produce/xcomEntries`;
      const list = await app.inject({ method: 'GET', url: base });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(
        (list.json() as { xcom_entries: Array<{ key: string }> }).xcom_entries.map((e) => e.key),
        ['return_value'],
      );
      const entry = await app.inject({ method: 'GET', url: `${base}/return_value` });
      assert.equal(entry.statusCode, 200, entry.body);
      const body = entry.json() as { task_id: string; value: { rows: string; note: string } };
      assert.equal(body.task_id, 'produce');
      assert.equal(body.value.rows.length, ROWS);
      assert.equal(body.value.note, 'größer');
    } finally {
      await app.close();
    }

    const cli = await runCli(['--dags-folder', folder, 'tasks', 'xcom', 'large_xcom', first.run_id, 'produce', '-o', 'json'], {
      UPDRAFT_HOME: home,
      REDIS_URL: NO_REDIS,
    });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((JSON.parse(cli.stdout) as { value: { rows: string } }).value.rows.length, ROWS);

    const dagRow = (await store.dags.get('large_xcom'))!;
    const cleared = await clearTaskInstances(
      store,
      dagRow,
      (await store.runs.get('large_xcom', first.run_id))!,
      { match: (id) => id === 'produce' },
      new Date(),
    );
    assert.deepEqual(
      cleared.map((c) => c.task_id),
      ['produce'],
    );
    assert.equal((await store.xcom.forRun('large_xcom', first.run_id)).has('produce'), false, 'a cleared task has no XCom');
    assert.equal((await xcomKeys(artifacts)).length, 1, "the cleared try's artifact is gone, the other run's is not");

    await deleteDagRun(store, (await store.runs.get('large_xcom', second.run_id))!);
    assert.deepEqual(await xcomKeys(artifacts), [], 'deleting the run removed its artifact');
  });

  it('a value over UPDRAFT_XCOM_MAX_SIZE fails the try in one line, writing nothing', async () => {
    process.env.UPDRAFT_XCOM_MAX_SIZE = '2000000';
    const result = await runHere(store, '2026-01-03', { bytes: 3_000_000 }).finally(() => delete process.env.UPDRAFT_XCOM_MAX_SIZE);
    assert.equal(result.state, 'failed');
    const produce = result.task_instances.find((t) => t.task_id === 'produce')!;
    assert.equal(produce.state, 'failed');
    assert.match(
      produce.error!,
      /^XComTooLargeError: task 'produce' of DAG 'large_xcom' returned an XCom of 3000\d+ bytes, over the maximum of 2000000 bytes \(UPDRAFT_XCOM_MAX_SIZE\); nothing was stored$/,
    );
    assert.doesNotMatch(produce.error!, /\n/);
    assert.equal(result.task_instances.find((t) => t.task_id === 'consume')?.state, 'upstream_failed');
    assert.deepEqual(await storedSizes(store, result.run_id), {});
    assert.deepEqual(await artifacts.list('xcom/large_xcom/manual__2026-01-03/'), []);
  });
});

describe('bounded XCom on PostgreSQL', { skip: !available && 'no PostgreSQL server' }, () => {
  let database: ThrowawayDatabase;
  before(async () => {
    database = await throwawayDatabase('updraft_xcom');
  });
  after(async () => {
    await database?.drop();
  });

  it('the value goes to the PostgreSQL artifact store, the row stays small, deleting the run removes it', async () => {
    const store = await openStoreWithPlugins({ url: database.url });
    const artifacts = openArtifactStore({ databaseUrl: database.url });
    try {
      const result = await runHere(store, '2026-01-01');
      assert.equal(result.state, 'success', JSON.stringify(result.task_instances));
      assert.equal(artifacts.backend, 'postgres');
      assert.ok((await storedSizes(store, result.run_id)).produce! < 400);
      assert.deepEqual((await store.xcom.forRun('large_xcom', result.run_id)).get('consume'), {
        length: ROWS,
        sha256: rowsSha,
        note: 'größer',
      });
      assert.equal((await xcomKeys(artifacts)).length, 1);
      await deleteDagRun(store, (await store.runs.get('large_xcom', result.run_id))!);
      assert.deepEqual(await xcomKeys(artifacts), []);
    } finally {
      await store.close();
      await artifacts.close();
      await closeXComArtifactStores();
    }
  });
});
