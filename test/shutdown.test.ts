import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TestCluster } from './helpers/cluster.ts';
import { dagFolderFrom } from './helpers/cli.ts';
import { runCli } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase } from './helpers/postgres.ts';
import { tcpRelay } from './helpers/relay.ts';

const folder = dagFolderFrom('recovery/recovery.ts');
const pgAvailable = await postgresAnswers();
if (!pgAvailable && process.env.CI) throw new Error(`CI is set but no PostgreSQL answers at ${ADMIN_URL}`);

describe('process lifecycle against the services', () => {
  it('one SIGTERM stops a scheduler and a worker whose Redis has gone away (no second signal, no SIGKILL)', async (t) => {
    const cluster = await TestCluster.start(folder);
    t.after(() => cluster.stop());
    const scheduler = cluster.scheduler();
    const worker = cluster.worker();
    const runId = await cluster.trigger('slow_task', { ms: 60_000 });
    await cluster.waitForTask('slow_task', runId, 'slow', ['running']);
    await cluster.redis.stop();
    // stop() sends one SIGTERM and falls back to SIGKILL after 20 s, resolving null: a number means the process exited by itself.
    const [schedulerCode, workerCode] = await Promise.all([scheduler.stop('SIGTERM'), worker.stop('SIGTERM')]);
    assert.notEqual(schedulerCode, null, 'the scheduler exited on one SIGTERM');
    assert.notEqual(workerCode, null, 'the worker exited on one SIGTERM');
  });

  it('one SIGTERM stops a scheduler and a worker whose PostgreSQL has gone away', {
    skip: pgAvailable ? false : `no PostgreSQL at ${ADMIN_URL}`,
  }, async (t) => {
    const database = await throwawayDatabase();
    // The processes reach PostgreSQL through a relay the test can cut: the server "vanishes" for them.
    const relay = await tcpRelay({ host: '127.0.0.1', port: Number(new URL(ADMIN_URL).port || 5432) });
    const url = new URL(database.url);
    url.host = relay.address;
    const cluster = await TestCluster.start(folder, { UPDRAFT_DATABASE_URL: url.toString() });
    t.after(async () => {
      await cluster.stop().catch(() => undefined);
      await database.drop();
    });
    const scheduler = cluster.scheduler();
    const worker = cluster.worker();
    const runId = await cluster.trigger('slow_task', { ms: 60_000 });
    await cluster.waitForTask('slow_task', runId, 'slow', ['running']);
    await relay.cut();
    const [schedulerCode, workerCode] = await Promise.all([scheduler.stop('SIGTERM'), worker.stop('SIGTERM')]);
    assert.notEqual(schedulerCode, null, 'the scheduler exited on one SIGTERM');
    assert.notEqual(workerCode, null, 'the worker exited on one SIGTERM');
  });

  it('rediss:// (TLS, a private CA through NODE_EXTRA_CA_CERTS) with a password: a run goes through scheduler and worker', async (t) => {
    const cluster = await TestCluster.start(folder, {}, { password: 'tls-pass', tls: true });
    t.after(() => cluster.stop());
    assert.match(cluster.env.REDIS_URL!, /^rediss:\/\/:tls-pass@127\.0\.0\.1:/);
    cluster.scheduler();
    cluster.worker();
    const runId = await cluster.trigger('steady_chain', { ms: 10 });
    assert.equal((await cluster.waitForRun('steady_chain', runId)).state, 'success');
  });

  it('Redis with a password: REDIS_URL carries it, and a run goes through scheduler and worker', async (t) => {
    const cluster = await TestCluster.start(folder, {}, { password: 's3cret/pass' });
    t.after(() => cluster.stop());
    assert.match(cluster.env.REDIS_URL!, /^redis:\/\/:s3cret%2Fpass@/);
    cluster.scheduler();
    cluster.worker();
    const runId = await cluster.trigger('steady_chain', { ms: 10 });
    assert.equal((await cluster.waitForRun('steady_chain', runId)).state, 'success');
    // The same Redis without the password refuses: the worker says so instead of hanging.
    const wrong = cluster.env.REDIS_URL!.replace(/:[^@]*@/, '');
    const refused = await runCli(['worker'], { ...cluster.env, REDIS_URL: wrong });
    assert.notEqual(refused.code, 0);
  });
});
