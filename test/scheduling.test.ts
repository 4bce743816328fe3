import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { TestCluster } from './helpers/cluster.ts';
import { cliJson, dagFolderFrom, REPO, runCli, tempDir } from './helpers/cli.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';
import { freePort } from './helpers/redis.ts';

const schedules = dagFolderFrom('schedules/schedules.ts');
const features = dagFolderFrom('features/features.ts');
const NOW = '2026-06-04T12:00:00Z';

describe('scheduling with an injected clock', () => {
  it('catchup creates every missed interval oldest first; catchup false only the latest; a paused DAG none', async (t) => {
    const cluster = await TestCluster.start(schedules, { UPDRAFT_NOW: NOW });
    t.after(() => cluster.stop());
    await cluster.cli(['dags', 'list']);
    await runCli(['dags', 'pause', 'paused_daily'], cluster.env);
    cluster.scheduler();
    cluster.worker();
    const runs = await waitFor('three catchup runs and one latest-only run, finished', async () => {
      const a = await cluster.store.runs.list('daily_catchup');
      const b = await cluster.store.runs.list('daily_latest_only');
      return a.length === 3 && b.length === 1 && [...a, ...b].every((r) => r.state === 'success') ? { a, b } : undefined;
    });
    assert.deepEqual(runs.a.map((r) => [r.logicalDate, r.dataIntervalEnd, r.runType]).reverse(), [
      ['2026-06-01T00:00:00.000Z', '2026-06-02T00:00:00.000Z', 'scheduled'],
      ['2026-06-02T00:00:00.000Z', '2026-06-03T00:00:00.000Z', 'scheduled'],
      ['2026-06-03T00:00:00.000Z', '2026-06-04T00:00:00.000Z', 'scheduled'],
    ]);
    assert.deepEqual(
      runs.b.map((r) => r.logicalDate),
      ['2026-06-03T00:00:00.000Z'],
    );
    assert.deepEqual(await cluster.store.runs.list('paused_daily'), []);
    const xcom = await cluster.store.xcom.forRun('daily_catchup', runs.a[2]!.runId);
    assert.equal(xcom.get('work'), '2026-06-01T00:00:00.000Z', 'the task sees its data interval');
    const next = await cluster.cli<{ next_logical_date: string }>(['dags', 'next-execution', 'daily_catchup']);
    assert.equal(next.next_logical_date, '2026-06-04T00:00:00.000Z');
  });

  it('two schedulers started by mistake create no duplicate runs and no duplicate tries', async (t) => {
    const cluster = await TestCluster.start(schedules, { UPDRAFT_NOW: NOW });
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.scheduler();
    cluster.worker();
    cluster.worker();
    const runs = await waitFor('catchup runs finished', async () => {
      const list = await cluster.store.runs.list('daily_catchup');
      return list.length === 3 && list.every((r) => r.state === 'success') ? list : undefined;
    });
    assert.equal(new Set(runs.map((r) => r.logicalDate)).size, 3);
    for (const run of runs) {
      const tries = await cluster.tries('daily_catchup', run.runId);
      assert.deepEqual(
        tries.map((x) => [x.taskId, x.tryNumber, x.state]),
        [['work', 1, 'success']],
      );
    }
  });

  it('backfill runs every interval between two dates, in-process, no Redis needed', async () => {
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: schedules, REDIS_URL: `redis://127.0.0.1:${await freePort()}` };
    const rows = await cliJson<Array<{ logical_date: string; state: string }>>(
      ['dags', 'backfill', 'daily_latest_only', '-s', '2026-05-01', '-e', '2026-05-03'],
      env,
    );
    assert.deepEqual(
      rows.map((r) => [r.logical_date, r.state]),
      [
        ['2026-05-01T00:00:00.000Z', 'success'],
        ['2026-05-02T00:00:00.000Z', 'success'],
        ['2026-05-03T00:00:00.000Z', 'success'],
      ],
    );
    const runs = await cliJson<Array<{ run_type: string }>>(['dags', 'list-runs', 'daily_latest_only'], env);
    assert.ok(runs.every((r) => r.run_type === 'backfill'));
    const bad = await runCli(['dags', 'backfill', 'daily_latest_only', '-s', '2026-05-03', '-e', '2026-05-01'], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--end-date is before --start-date/);
  });
});

describe('run control through the CLI', () => {
  it('tasks clear re-runs the matched tasks and their downstream as new tries', async (t) => {
    const cluster = await TestCluster.start(features);
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.worker();
    const runId = await cluster.trigger('branch_join');
    await cluster.waitForRun('branch_join', runId);
    const cleared = await cluster.cli<Array<{ task_id: string; try_number: number }>>([
      'tasks',
      'clear',
      'branch_join',
      runId,
      '--task-regex',
      '^left$',
      '--downstream',
    ]);
    assert.deepEqual(cleared, [
      { task_id: 'left', try_number: 2 },
      { task_id: 'join', try_number: 2 },
    ]);
    const run = await waitFor('cleared run finished again', async () => {
      const r = await cluster.store.runs.get('branch_join', runId);
      const join = (await cluster.store.tasks.latestTries('branch_join', runId)).get('join');
      return r?.state === 'success' && join?.tryNumber === 2 && join.state === 'success' ? r : undefined;
    });
    assert.equal(run.state, 'success');
    const tries = await cluster.tries('branch_join', runId);
    assert.deepEqual(
      tries.filter((x) => x.taskId === 'left').map((x) => [x.tryNumber, x.state]),
      [
        [1, 'success'],
        [2, 'success'],
      ],
    );
    assert.deepEqual(
      tries.filter((x) => x.taskId === 'start').map((x) => x.tryNumber),
      [1],
      'upstream tasks are not re-run',
    );
    const onlyFailed = await cluster.cli<unknown[]>(['tasks', 'clear', 'branch_join', runId, '--only-failed']);
    assert.deepEqual(onlyFailed, []);
  });

  it('tasks route by queue; a try stuck in queued past task_queued_timeout fails', async (t) => {
    const cluster = await TestCluster.start(features, { UPDRAFT_TASK_QUEUED_TIMEOUT: '2' });
    t.after(() => cluster.stop());
    cluster.scheduler();
    cluster.worker(['--queues', 'default']);
    const stuck = await cluster.trigger('routed');
    const run = await cluster.waitForRun('routed', stuck);
    assert.equal(run.state, 'failed');
    const [ti] = await cluster.tries('routed', stuck);
    assert.equal(ti!.state, 'failed');
    assert.match(ti!.error!, /stuck in queued .* is a worker consuming queue 'training'\?/);

    const trainer = cluster.worker(['--queues', 'training,default']);
    const routedRun = await cluster.trigger('routed', { again: true });
    assert.equal((await cluster.waitForRun('routed', routedRun)).state, 'success');
    const [ok] = await cluster.tries('routed', routedRun);
    assert.equal(ok!.workerId!.split(':')[1], String(trainer.pid));
    assert.equal(ok!.queue, 'training');
  });

  it('jobs check: exit 1 with no scheduler, exit 0 once one beats', async (t) => {
    const cluster = await TestCluster.start(dagFolderFrom('features/good.ts'));
    t.after(() => cluster.stop());
    const before = await runCli(['jobs', 'check'], cluster.env);
    assert.deepEqual([before.code, before.stderr], [1, 'No alive jobs found.\n']);
    cluster.scheduler();
    const alive = await waitFor('a scheduler heartbeat', async () => {
      const r = await runCli(['jobs', 'check'], cluster.env);
      return r.code === 0 ? r : undefined;
    });
    assert.match(alive.stdout, /^Found one alive job/);
  });

  it('jobs check --job-type WorkerJob [--local]: a worker is alive once it beats; a scheduler is not a worker', async (t) => {
    const cluster = await TestCluster.start(dagFolderFrom('features/good.ts'));
    t.after(() => cluster.stop());
    cluster.scheduler();
    await waitFor('a scheduler heartbeat', async () => (await runCli(['jobs', 'check'], cluster.env)).code === 0);
    const none = await runCli(['jobs', 'check', '--job-type', 'WorkerJob', '--local'], cluster.env);
    assert.deepEqual([none.code, none.stderr], [1, 'No alive jobs found.\n'], 'the scheduler does not count as a worker');
    cluster.worker();
    await waitFor(
      'a worker heartbeat',
      async () => (await runCli(['jobs', 'check', '--job-type', 'WorkerJob', '--local'], cluster.env)).code === 0,
    );
    const bad = await runCli(['jobs', 'check', '--job-type', 'TriggererJob'], cluster.env);
    assert.match(bad.stderr, /^updraft: error: --job-type: one of SchedulerJob, WorkerJob, got 'TriggererJob'\n$/);
  });

  it('trigger, pause and unpause: a paused DAG starts no run until unpaused', async (t) => {
    const cluster = await TestCluster.start(features);
    t.after(() => cluster.stop());
    await cluster.cli(['dags', 'list']);
    await runCli(['dags', 'pause', 'branch_join'], cluster.env);
    cluster.scheduler();
    cluster.worker();
    const held = await cluster.trigger('branch_join');
    const sentinel = await cluster.trigger('retry_then_succeed');
    await cluster.waitForRun('retry_then_succeed', sentinel);
    assert.equal((await cluster.store.runs.get('branch_join', held))!.state, 'queued');
    const r = await runCli(['dags', 'unpause', 'branch_join'], cluster.env);
    assert.match(r.stdout, /paused: false/);
    assert.equal((await cluster.waitForRun('branch_join', held)).state, 'success');
    const bad = await runCli(['dags', 'trigger', 'branch_join', '--run-id', 'has space'], cluster.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^updraft: error: --run-id: bad run id 'has space'/);
  });

  it('standalone starts a private Redis when none answers, runs scheduler + workers + webserver, stops on SIGTERM', async (t) => {
    const home = tempDir();
    const env = { UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: features, REDIS_URL: `redis://127.0.0.1:${await freePort()}` };
    const standalone = startUpdraft(['standalone', '--workers', '2', '--port', '0'], env, home);
    t.after(() => standalone.stop('SIGKILL'));
    await waitFor('standalone to start its Redis', async () =>
      readFileSync(standalone.logFile, 'utf8').includes('started a private redis-server'),
    );
    const run = await cliJson<{ run_id: string }>(['dags', 'trigger', 'branch_join'], env);
    await waitFor('triggered run to succeed', async () => {
      const state = await cliJson<{ state: string }>(['dags', 'state', 'branch_join', run.run_id], env);
      return state.state === 'success';
    });
    const url = await waitFor(
      'the webserver to listen',
      async () => /"url":"(http:[^"]+)"/.exec(readFileSync(standalone.logFile, 'utf8'))?.[1],
    );
    const runs = (await (await fetch(`${url}/api/v1/dags/branch_join/dagRuns`)).json()) as {
      dag_runs: Array<{ run_id: string; state: string }>;
    };
    assert.deepEqual(
      runs.dag_runs.map((r) => [r.run_id, r.state]),
      [[run.run_id, 'success']],
    );
    assert.equal(await standalone.stop('SIGTERM'), 0);
  });
});

describe('docker-compose.yml', () => {
  it('defines redis, postgres (store and artifacts), scheduler, a scalable worker and the webserver sharing the dags folder', () => {
    const compose = parseYaml(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<
        string,
        {
          image?: string;
          build?: unknown;
          command?: string[];
          volumes?: string[];
          environment?: Record<string, string>;
          depends_on?: unknown;
          container_name?: string;
        }
      >;
      volumes: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(compose.services).sort(), ['postgres', 'redis', 'scheduler', 'webserver', 'worker']);
    for (const name of ['scheduler', 'worker', 'webserver']) {
      const s = compose.services[name]!;
      assert.ok(
        s.volumes?.some((v) => v.endsWith(':/app/dags')),
        `${name} mounts the dags folder`,
      );
      assert.ok(
        s.volumes?.some((v) => v.startsWith('updraft-home:')),
        `${name} shares UPDRAFT_HOME`,
      );
      assert.match(
        s.environment?.REDIS_URL ?? '',
        /^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]*\}@redis:6379$/,
        `${name} reaches Redis with the password`,
      );
      for (const variable of ['UPDRAFT_DATABASE_URL', 'UPDRAFT_ARTIFACTS_URL']) {
        assert.match(
          s.environment?.[variable] ?? '',
          /^postgres:\/\/updraft:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432\/updraft$/,
          `${name}'s ${variable} is the postgres service`,
        );
      }
      assert.equal(s.container_name, undefined, 'a container_name would stop --scale');
    }
    const redis = compose.services.redis!;
    assert.ok(redis.command!.includes('--requirepass'), 'Redis asks for a password');
    assert.equal(redis.command![redis.command!.indexOf('--maxmemory-policy') + 1], 'noeviction', 'BullMQ lock keys are never evicted');
    assert.deepEqual(compose.services.scheduler!.command, ['scheduler']);
    assert.deepEqual((compose.services.scheduler as { healthcheck?: { test: string[] } }).healthcheck?.test.slice(-2), ['jobs', 'check']);
    assert.equal(compose.services.worker!.command![0], 'worker');
    assert.ok('updraft-home' in compose.volumes);
    assert.ok('postgres-data' in compose.volumes, 'the store outlives its container');
    assert.deepEqual(
      (compose.services.postgres as { healthcheck?: { test: string[] } }).healthcheck?.test.slice(0, 2),
      ['CMD', 'pg_isready'],
      'Updraft waits for PostgreSQL',
    );
    assert.match(
      (compose.services.postgres as { environment: Record<string, string> }).environment.POSTGRES_PASSWORD!,
      /^\$\{POSTGRES_PASSWORD:\?/,
      'PostgreSQL requires a password',
    );
    const web = compose.services.webserver as { command: string[]; environment: Record<string, string>; ports: string[] };
    assert.deepEqual(web.command.slice(0, 3), ['webserver', '--host', '0.0.0.0']);
    assert.match(web.environment.UPDRAFT_API_TOKEN!, /^\$\{UPDRAFT_API_TOKEN:\?/, 'off loopback the webserver needs a token');
    assert.deepEqual(web.ports, ['127.0.0.1:8080:8080']);
    assert.match(
      (compose.services.webserver as { healthcheck?: { test: string[] } }).healthcheck?.test.join(' ') ?? '',
      /\/api\/v1\/health/,
      'the webserver has a healthcheck',
    );
    assert.deepEqual(
      (compose.services.worker as { healthcheck?: { test: string[] } }).healthcheck?.test.slice(-5),
      ['jobs', 'check', '--job-type', 'WorkerJob', '--local'],
      'the worker has a healthcheck',
    );
  });

  it('the image is built in two stages and runs as a non-root user without compilers, tests or benches', () => {
    const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    assert.equal(stages.length, 2, 'a build stage and a runtime stage');
    const runtime = stages[1]!;
    assert.match(runtime, /^USER node$/m, 'the runtime runs as the unprivileged node user');
    assert.doesNotMatch(runtime, /apt-get install|g\+\+|make/, 'no compilers in the runtime image');
    assert.doesNotMatch(dockerfile, /COPY (\. |test|bench)/, 'neither tests nor benches are copied');
    const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n');
    for (const path of ['test', 'bench', '.git', 'node_modules'])
      assert.ok(ignored.includes(path), `${path} stays out of the build context`);
  });
});
