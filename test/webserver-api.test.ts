import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalArtifactStore } from '../engine/artifacts/local-artifact-store.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { ModelRegistry } from '../ml/registry/model-registry.ts';
import { cliJson, dagFolderFrom, FIXTURES, runCli, tempDir } from './helpers/cli.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';
import { http, startWebserverProcess } from './helpers/webserver.ts';
import { waitFor, type UpdraftProcess } from './helpers/processes.ts';

describe('webserver REST API', () => {
  let redis: TestRedis;
  let server: UpdraftProcess;
  let base: string;
  let env: Record<string, string>;
  let testRunId: string;

  before(async () => {
    redis = await startRedis();
    const folder = dagFolderFrom('features/features.ts', 'features/good.ts');
    cpSync(join(FIXTURES, 'broken', 'throws.ts'), join(folder, 'throws.ts'));
    const home = tempDir('updraft-web-');
    env = { UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: folder, REDIS_URL: redis.url, UPDRAFT_REDIS_PREFIX: redis.prefix };
    // A finished run with retries, so there are several tries and logs to read.
    const result = await cliJson<{ run_id: string; state: string }>(
      ['dags', 'test', 'retry_then_succeed', '--retry-delay-scale', '0'],
      env,
    );
    assert.equal(result.state, 'success');
    testRunId = result.run_id;
    const store = await openStoreWithPlugins({ home });
    const registry = new ModelRegistry(store);
    // Promotion reads the model artifact first (a deploy): real artifacts, where the webserver looks.
    const artifacts = new LocalArtifactStore({ root: join(home, 'artifacts') });
    for (let v = 1; v <= 2; v++) {
      const { uri } = await artifacts.put(`models/churn/run-${v}/model.json`, JSON.stringify({ features: [], classes: [] }));
      await registry.register('churn', uri, { accuracy: 0.9 + v / 100 }, null);
    }
    await store.close();
    const started = await startWebserverProcess(env, home);
    server = started.process;
    base = `${started.url}/api/v1`;
  });

  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('lists DAGs with schedule, owners, tags, paused flag, next run and recent runs; gets one; 404 / 400 for unknown / bad ids', async () => {
    const list = await http(`${base}/dags`);
    assert.equal(list.status, 200);
    const ids = list.json.dags.map((d: { dag_id: string }) => d.dag_id);
    assert.ok(ids.includes('good_dag') && ids.includes('retry_then_succeed'), ids.join(','));
    assert.equal(list.json.total_entries, ids.length);
    const good = list.json.dags.find((d: { dag_id: string }) => d.dag_id === 'good_dag');
    assert.deepEqual([good.schedule, good.owners, good.tags, good.is_paused], ['@daily', ['qa'], ['fixture'], false]);
    assert.match(good.next_dagrun, /^\d{4}-\d\d-\d\dT/);
    const retry = await http(`${base}/dags/retry_then_succeed`);
    assert.equal(retry.status, 200);
    assert.equal(retry.json.last_run_state, 'success');
    assert.deepEqual(
      retry.json.recent_runs.map((r: { run_id: string }) => r.run_id),
      [testRunId],
    );
    const page = await http(`${base}/dags?limit=1&offset=1`);
    assert.equal(page.json.dags.length, 1);
    assert.equal(page.json.dags[0].dag_id, ids[1]);

    const missing = await http(`${base}/dags/no_such_dag`);
    assert.equal(missing.status, 404);
    assert.equal(missing.json.status, 404);
    assert.match(missing.json.detail, /no_such_dag/);
    assert.match(missing.type, /application\/problem\+json/);
    assert.equal((await http(`${base}/dags/bad%20id!`)).status, 400);
    assert.equal((await http(`${base}/dags?limit=0`)).status, 400);
    assert.equal((await http(`${base}/nothing/here`)).status, 404);
  });

  it('tasks of a DAG with their edges; import errors name the broken file', async () => {
    const tasks = await http(`${base}/dags/branch_join/tasks`);
    assert.equal(tasks.status, 200);
    const byId = new Map(tasks.json.tasks.map((t: { task_id: string }) => [t.task_id, t]));
    assert.ok(byId.size > 2);
    for (const t of tasks.json.tasks)
      for (const d of t.downstream_task_ids)
        assert.ok((byId.get(d) as { upstream_task_ids: string[] }).upstream_task_ids.includes(t.task_id));
    const errors = await http(`${base}/importErrors`);
    assert.equal(errors.status, 200);
    assert.equal(errors.json.total_entries, 1);
    assert.match(errors.json.import_errors[0].filename, /throws\.ts$/);
  });

  it('pause / unpause with PATCH; the CLI sees it; writes must be JSON with the right fields', async () => {
    const paused = await http(`${base}/dags/good_dag`, { method: 'PATCH', body: { is_paused: true } });
    assert.equal(paused.status, 200);
    assert.equal(paused.json.is_paused, true);
    const listed = await cliJson<Array<{ dag_id: string; is_paused: boolean }>>(['dags', 'list'], env);
    assert.equal(listed.find((d) => d.dag_id === 'good_dag')?.is_paused, true);
    assert.equal((await http(`${base}/dags/good_dag`, { method: 'PATCH', body: { is_paused: false } })).json.is_paused, false);

    const form = await http(`${base}/dags/good_dag`, {
      method: 'PATCH',
      raw: 'is_paused=true',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    const text = await http(`${base}/dags/good_dag`, {
      method: 'PATCH',
      raw: '{"is_paused":true}',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
    assert.equal((await http(`${base}/dags/good_dag`, { method: 'PATCH', body: { is_paused: 'yes' } })).status, 400);
    assert.equal((await http(`${base}/dags/good_dag`, { method: 'PATCH', body: {} })).status, 400);
    assert.equal(
      (await http(`${base}/dags/good_dag`, { method: 'PATCH', raw: '{not json', headers: { 'content-type': 'application/json' } })).status,
      400,
    );
    assert.equal((await http(`${base}/dags/no_such_dag`, { method: 'PATCH', body: { is_paused: true } })).status, 404);
    assert.equal((await http(`${base}/dags/good_dag`)).json.is_paused, false, 'rejected writes changed nothing');
  });

  it('triggers a run with conf; duplicates are 409; bad conf, dates and run ids are 400; runs list and filter', async () => {
    const created = await http(`${base}/dags/bash_env/dagRuns`, {
      method: 'POST',
      body: { dag_run_id: 'api_run_1', conf: { greeting: 'hi' } },
    });
    assert.equal(created.status, 200, created.text);
    assert.deepEqual([created.json.run_id, created.json.state, created.json.conf], ['api_run_1', 'queued', { greeting: 'hi' }]);
    const again = await http(`${base}/dags/bash_env/dagRuns`, { method: 'POST', body: { dag_run_id: 'api_run_1' } });
    assert.equal(again.status, 409);
    for (const body of [{ conf: [1, 2] }, { conf: 'x' }, { logical_date: 'yesterday' }, { dag_run_id: 'has space' }, { unknown: 1 }]) {
      const bad = await http(`${base}/dags/bash_env/dagRuns`, { method: 'POST', body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.equal(typeof bad.json.detail, 'string');
    }
    assert.equal((await http(`${base}/dags/no_such_dag/dagRuns`, { method: 'POST', body: {} })).status, 404);

    const runs = await http(`${base}/dags/bash_env/dagRuns`);
    assert.deepEqual(
      runs.json.dag_runs.map((r: { run_id: string }) => r.run_id),
      ['api_run_1'],
    );
    assert.equal((await http(`${base}/dags/bash_env/dagRuns?state=success`)).json.total_entries, 0);
    assert.equal((await http(`${base}/dags/bash_env/dagRuns?state=bogus`)).status, 400);
    assert.equal((await http(`${base}/dags/bash_env/dagRuns/api_run_1`)).json.conf.greeting, 'hi');
    assert.equal((await http(`${base}/dags/bash_env/dagRuns/nope`)).status, 404);
    const cli = await cliJson<{ state: string }>(['dags', 'state', 'bash_env', 'api_run_1', '--output', 'json'], env);
    assert.equal(cli.state, 'queued');
  });

  it('task instances of a run, every try of a task, and the log of each try (JSON or text)', async () => {
    const run = `${base}/dags/retry_then_succeed/dagRuns/${encodeURIComponent(testRunId)}`;
    const latest = await http(`${run}/taskInstances`);
    assert.equal(latest.status, 200);
    const flaky = latest.json.task_instances.find((t: { try_number: number }) => t.try_number > 1);
    assert.ok(flaky, JSON.stringify(latest.json));
    const tries = await http(`${run}/taskInstances/${flaky.task_id}/tries`);
    assert.deepEqual(
      tries.json.task_instances.map((t: { try_number: number }) => t.try_number),
      Array.from({ length: flaky.try_number }, (_, i) => i + 1),
    );
    assert.equal(tries.json.task_instances[0].state, 'up_for_retry');
    assert.equal(tries.json.task_instances.at(-1).state, 'success');
    assert.equal((await http(`${run}/taskInstances/${flaky.task_id}`)).json.try_number, flaky.try_number);
    const log1 = await http(`${run}/taskInstances/${flaky.task_id}/logs/1`);
    assert.equal(log1.status, 200);
    assert.match(log1.json.content, /Marking task as UP_FOR_RETRY/);
    const text = await http(`${run}/taskInstances/${flaky.task_id}/logs/${flaky.try_number}`, { headers: { accept: 'text/plain' } });
    assert.match(text.type, /text\/plain/);
    assert.match(text.text, /Marking task as SUCCESS/);
    assert.equal((await http(`${run}/taskInstances/${flaky.task_id}/logs/99`)).status, 404);
    assert.equal((await http(`${run}/taskInstances/${flaky.task_id}/logs/0`)).status, 400);
    assert.equal((await http(`${run}/taskInstances/no_such_task/tries`)).status, 404);
  });

  it('clearTaskInstances: dry run changes nothing; a clear opens the next try and re-queues the run; bad input 4xx', async () => {
    const body = { dag_run_id: testRunId, task_ids: ['flaky'] };
    const dry = await http(`${base}/dags/retry_then_succeed/clearTaskInstances`, { method: 'POST', body: { ...body, dry_run: true } });
    assert.deepEqual([dry.status, dry.json.task_instances], [200, [{ task_id: 'flaky', try_number: 4 }]]);
    assert.equal((await http(`${base}/dags/retry_then_succeed/dagRuns/${encodeURIComponent(testRunId)}`)).json.state, 'success', 'dry run');
    assert.equal(
      (await http(`${base}/dags/retry_then_succeed/clearTaskInstances`, { method: 'POST', body: { ...body, task_ids: ['nope'] } })).status,
      404,
    );
    assert.equal(
      (await http(`${base}/dags/retry_then_succeed/clearTaskInstances`, { method: 'POST', body: { task_ids: ['flaky'] } })).status,
      400,
    );
    assert.equal(
      (await http(`${base}/dags/retry_then_succeed/clearTaskInstances`, { method: 'POST', body: { ...body, dag_run_id: 'no_run' } }))
        .status,
      404,
    );
    const cleared = await http(`${base}/dags/retry_then_succeed/clearTaskInstances`, { method: 'POST', body });
    assert.deepEqual(cleared.json.task_instances, [{ task_id: 'flaky', try_number: 4 }]);
    assert.equal((await http(`${base}/dags/retry_then_succeed/dagRuns/${encodeURIComponent(testRunId)}`)).json.state, 'queued');
    const tries = await cliJson<Array<{ try_number: number; state: string }>>(
      ['tasks', 'states-for-dag-run', 'retry_then_succeed', testRunId],
      env,
    );
    assert.deepEqual(
      tries.map((t) => [t.try_number, t.state]),
      [
        [1, 'up_for_retry'],
        [2, 'up_for_retry'],
        [3, 'success'],
        [4, 'none'],
      ],
    );
  });

  it('model registry: versions, history, promote, roll back; unknown versions 404, bad names 400', async () => {
    const models = await http(`${base}/models`);
    assert.deepEqual(
      models.json.models.map((m: { name: string }) => m.name),
      ['churn'],
    );
    assert.equal((await http(`${base}/models/churn/rollback`, { method: 'POST', body: {} })).status, 404, 'nothing to roll back to yet');
    const p1 = await http(`${base}/models/churn/versions/1/promote`, { method: 'POST', body: {} });
    assert.deepEqual([p1.status, p1.json.production_version, p1.json.previous_version], [200, 1, null]);
    const p2 = await http(`${base}/models/churn/versions/2/promote`, { method: 'POST', body: { reason: 'better accuracy' } });
    assert.deepEqual([p2.json.production_version, p2.json.previous_version], [2, 1]);
    const back = await http(`${base}/models/churn/rollback`, { method: 'POST', body: {} });
    assert.deepEqual([back.status, back.json.production_version, back.json.previous_version], [200, 1, 2]);
    const model = await http(`${base}/models/churn`);
    assert.deepEqual(
      model.json.versions.map((v: { stage: string }) => v.stage),
      ['Production', 'Archived'],
    );
    assert.deepEqual(
      model.json.production_history.map((p: { version: number }) => p.version),
      [1, 2, 1],
    );
    assert.equal(model.json.production_history[1].reason, 'better accuracy');
    assert.equal(model.json.aliases.champion, 1);
    assert.equal((await http(`${base}/models/churn/versions`)).json.total_entries, 2);
    assert.equal((await http(`${base}/models/churn/history`)).json.total_entries, 3);
    const cli = await cliJson<Array<{ version: number; stage: string }>>(['models', 'versions', 'churn'], env);
    assert.equal(cli.find((v) => v.stage === 'Production')?.version, 1);

    assert.equal((await http(`${base}/models/churn/versions/9/promote`, { method: 'POST', body: {} })).status, 404);
    assert.equal((await http(`${base}/models/churn/versions/zero/promote`, { method: 'POST', body: {} })).status, 400);
    assert.equal((await http(`${base}/models/no_model`)).status, 404);
    assert.equal((await http(`${base}/models/..%2Fetc`)).status, 400);
    assert.equal((await http(`${base}/models/churn/rollback`, { method: 'POST' })).status, 415, 'a write with no JSON body');
  });

  it('an internal failure is a 500 that names no cause; the log has it', async (t) => {
    // A store row no code path can read (a spec that is not JSON) stands in for any bug.
    const store = await openStoreWithPlugins({ home: env.UPDRAFT_HOME! });
    const { spec } = await store.db.selectFrom('dag').select('spec').where('dag_id', '=', 'edge_cases').executeTakeFirstOrThrow();
    await store.db.updateTable('dag').set({ spec: '{broken' }).where('dag_id', '=', 'edge_cases').execute();
    t.after(async () => {
      await store.db.updateTable('dag').set({ spec }).where('dag_id', '=', 'edge_cases').execute();
      await store.close();
    });
    const failed = await http(`${base}/dags/edge_cases`);
    assert.equal(failed.status, 500);
    assert.deepEqual(failed.json, {
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'internal error (see the webserver log)',
    });
    assert.doesNotMatch(failed.text, /SyntaxError|at \w|\.ts:/);
    await waitFor('the error in the webserver log', async () => /"msg":"request failed"/.test(readFileSync(server.logFile, 'utf8')));
  });

  it('describes itself as OpenAPI 3 from the same schemas that validate requests', async () => {
    const doc = await http(`${base}/openapi.json`);
    assert.equal(doc.status, 200);
    assert.match(doc.json.openapi, /^3\./);
    const trigger = doc.json.paths['/api/v1/dags/{dag_id}/dagRuns'].post;
    assert.ok(trigger.requestBody.content['application/json'].schema.properties.conf, 'the trigger body documents conf');
    assert.ok(!('/' in doc.json.paths), 'pages are not API routes');
  });

  it('health and Prometheus metrics', async () => {
    const health = await http(`${base}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.json.metadatabase.status, 'healthy');
    assert.equal(health.json.redis.status, 'healthy');
    assert.equal(health.json.scheduler.status, 'unhealthy', 'no scheduler runs in this test');
    const metrics = await http(base.replace('/api/v1', '/metrics'));
    assert.equal(metrics.status, 200);
    assert.match(metrics.type, /text\/plain/);
    for (const line of [
      /^updraft_dag_runs\{state="queued"\} 2$/m,
      /^updraft_task_tries\{state="up_for_retry"\} \d+$/m,
      /^updraft_task_duration_seconds_bucket\{le="\+Inf",state="success"\} \d+$/m,
      /^updraft_queue_depth\{queue="default",state="waiting"\} \d+$/m,
    ]) {
      assert.match(metrics.text, line);
    }
  });
});

describe('webserver security', () => {
  it('refuses to listen beyond loopback without UPDRAFT_API_TOKEN (one line, exit 1)', async () => {
    const result = await runCli(['webserver', '--host', '0.0.0.0', '--port', '0'], {
      UPDRAFT_HOME: tempDir(),
      UPDRAFT_DAGS_FOLDER: dagFolderFrom('features/good.ts'),
      UPDRAFT_API_TOKEN: '',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^updraft: error: refusing to listen on 0\.0\.0\.0 without an API token/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  it('with a token, every write needs it and reads do not', async () => {
    const redis = await startRedis();
    const home = tempDir();
    const env = {
      UPDRAFT_HOME: home,
      UPDRAFT_DAGS_FOLDER: dagFolderFrom('features/good.ts'),
      REDIS_URL: redis.url,
      UPDRAFT_REDIS_PREFIX: redis.prefix,
      UPDRAFT_API_TOKEN: 's3cret-token-of-24-chars',
    };
    const { process: server, url } = await startWebserverProcess(env, home, ['--host', '0.0.0.0']);
    try {
      const local = url.replace('0.0.0.0', '127.0.0.1');
      const write = (headers: Record<string, string>) =>
        http(`${local}/api/v1/dags/good_dag`, { method: 'PATCH', body: { is_paused: true }, headers });
      assert.equal((await write({})).status, 401);
      assert.equal((await write({ authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await http(`${local}/api/v1/dags/good_dag`)).json.is_paused, false);
      assert.equal((await write({ authorization: 'Bearer s3cret-token-of-24-chars' })).status, 200);
      assert.equal((await http(`${local}/api/v1/dags/good_dag`)).json.is_paused, true);
    } finally {
      await server.stop();
      await redis.stop();
    }
  });
});
