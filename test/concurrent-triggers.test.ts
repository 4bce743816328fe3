import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { dag } from '../engine/index.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { startWebserver } from '../engine/webserver/server.ts';
import { tempDir } from './helpers/cli.ts';
import { postgresAnswers, throwawayDatabase, type ThrowawayDatabase } from './helpers/postgres.ts';
import { startRedis, type TestRedis } from './helpers/redis.ts';
import { http } from './helpers/webserver.ts';

const triggered = dag({ dagId: 'triggered', schedule: null });
triggered.empty('only');
const SPEC = triggered.toSpec();

// Every trigger of a test sees the same "now": on a real clock many share a millisecond anyway.
const NOW = new Date('2026-03-01T12:00:00.000Z');

const hasPostgres = await postgresAnswers();
// Under CI a missing PostgreSQL is a failure, not a skip (.ci/run starts the machine's server).
if (!hasPostgres && process.env.CI) throw new Error('CI is set but no PostgreSQL answers');

describe('concurrent triggers that name no logical date and no run id never clash (409 only for what the user named)', () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
    // The trigger's scheduler notice goes to this private Redis, never 6379.
    Object.assign(process.env, { REDIS_URL: redis.url, UPDRAFT_REDIS_PREFIX: redis.prefix });
  });
  after(() => redis.stop());

  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`${dialect}: 200 parallel REST triggers without a logical date are 200 runs; a named run id or date that exists is 409`, {
      skip: dialect === 'postgres' && !hasPostgres && 'no PostgreSQL',
    }, async (t) => {
      let database: ThrowawayDatabase | undefined;
      if (dialect === 'postgres') database = await throwawayDatabase();
      const store = await openStoreWithPlugins(database ? { url: database.url, poolSize: 10 } : { home: tempDir() });
      let app: FastifyInstance | undefined;
      t.after(async () => {
        await app?.close();
        await store.close();
        await database?.drop();
      });
      await store.dags.upsert(SPEC, { fileloc: '/dags/triggered.ts', relativeFileloc: 'triggered.ts' }, 'f1', NOW.toISOString(), false);
      const started = await startWebserver({ store, port: 0, clock: { now: () => NOW }, redisUrl: redis.url, prefix: redis.prefix });
      app = started.app;
      const api = `${started.url}/api/v1/dags/triggered/dagRuns`;
      const trigger = (body: Record<string, unknown>) => http(api, { method: 'POST', body });

      const answers = await Promise.all(Array.from({ length: 200 }, () => trigger({ conf: {} })));
      assert.deepEqual([...new Set(answers.map((a) => a.status))], [200], answers.find((a) => a.status !== 200)?.text);
      const runs = answers.map((a) => a.json as { run_id: string; logical_date: string });
      assert.equal(new Set(runs.map((r) => r.run_id)).size, 200);
      assert.equal(new Set(runs.map((r) => r.logical_date)).size, 200);
      // Airflow's shape: manual__<logical date>, the dates consecutive milliseconds from now.
      for (const r of runs) assert.equal(r.run_id, `manual__${r.logical_date}`);
      const dates = runs.map((r) => Date.parse(r.logical_date)).sort((a, b) => a - b);
      assert.deepEqual([dates[0], dates.at(-1)], [NOW.getTime(), NOW.getTime() + 199]);
      assert.equal(await store.runs.count('triggered'), 200);

      // What the user named must be free.
      const taken = runs[0]!;
      const sameId = await trigger({ dag_run_id: taken.run_id });
      assert.equal(sameId.status, 409);
      assert.match(sameId.json.detail, new RegExp(`already has a run with id '${taken.run_id.replace(/[.+]/g, '\\$&')}'`));
      assert.equal((await trigger({ logical_date: taken.logical_date })).status, 409);
      // A new run id without a date: the date moves on, the id is the user's.
      const named = await trigger({ dag_run_id: 'my_run' });
      assert.equal(named.status, 200, named.text);
      assert.equal(named.json.logical_date, new Date(NOW.getTime() + 200).toISOString());
      assert.equal((await trigger({ dag_run_id: 'my_run' })).status, 409);
    });
  }
});
