import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { dagFolderFrom, runCli, tempDir } from './helpers/cli.ts';
import { ADMIN_URL, postgresAnswers, throwawayDatabase } from './helpers/postgres.ts';
import { startUpdraft, waitFor } from './helpers/processes.ts';
import { freePort, startRedis } from './helpers/redis.ts';

// Spelled as a URL may hold them raw (`:` and `@` inside the password): all must stay out of every output.
const PASSWORD = 'pa55:w@rd-7f3k';
const TOKEN = 'tok-0123456789abcdef-secret';
const folder = dagFolderFrom('features/features.ts');
const noSecret = (text: string, what: string): void => {
  for (const secret of [PASSWORD, encodeURIComponent(PASSWORD), 'pa55', TOKEN])
    assert.ok(!text.includes(secret), `${what} shows a secret (${secret}):\n${text}`);
};
const records = (file: string): Array<Record<string, unknown>> =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/** A password-protected redis-server on `port`, answering once this resolves; SIGKILLed by the test's end. */
async function passwordRedis(t: TestContext, port: number): Promise<ChildProcess> {
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD],
    { stdio: 'ignore' },
  );
  t.after(() => void server.kill('SIGKILL'));
  await waitFor(
    `redis-server on ${port}`,
    async () => {
      const probe = new Redis({ port, password: PASSWORD, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
      probe.on('error', () => {});
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    20_000,
  );
  return server;
}

/** A TCP relay to `port` that can be cut (every connection dropped, nothing listening) and put back on the same port. */
async function pausableRelay(port: number): Promise<{ port: number; cut(): Promise<void>; resume(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server;
  const listen = (on: number): Promise<number> =>
    new Promise((resolve) => {
      server = createServer((socket) => {
        const upstream = connect(port, '127.0.0.1');
        for (const s of [socket, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s)).on('error', () => {
            socket.destroy();
            upstream.destroy();
          });
        }
        socket.pipe(upstream).pipe(socket);
      });
      server.listen(on, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
  const own = await listen(0);
  return {
    port: own,
    cut: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    resume: async () => void (await listen(own)),
  };
}

const pgAvailable = await postgresAnswers();

describe('no secret in any output; connection failures in one line', () => {
  it('a wrong Redis password: worker, scheduler and standalone say the password was refused, in one line, without it', async (t) => {
    const redis = await startRedis({ password: PASSWORD });
    t.after(() => redis.stop());
    const wrong = redis.url.replace(encodeURIComponent(PASSWORD), encodeURIComponent(`${PASSWORD}-not`));
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder, REDIS_URL: wrong, UPDRAFT_API_TOKEN: TOKEN };
    const address = new URL(redis.url).host;
    // standalone would start a private Redis and run on when it does not tell a refusal from no Redis: it gets a deadline.
    const standalone = startUpdraft(['standalone', '--workers', '1'], env, tempDir());
    t.after(() => standalone.stop());
    const [worker, scheduler] = await Promise.all([runCli(['worker'], env), runCli(['scheduler'], env)]);
    const code = await Promise.race([standalone.exited, new Promise<string>((resolve) => setTimeout(resolve, 60_000, 'still running'))]);
    const ran = { code, stdout: '', stderr: readFileSync(standalone.logFile, 'utf8') };
    for (const [what, r] of Object.entries({ worker, scheduler, standalone: ran })) {
      assert.equal(r.code, 1, `${what}: ${r.stderr}`);
      // standalone must not start a private Redis beside the one that refused it: no log line first.
      assert.equal(r.stderr, `updraft: error: Redis at ${address} refused the password: put the right one in REDIS_URL\n`, what);
      noSecret(r.stdout + r.stderr, what);
    }
  });

  it('dags trigger whose scheduler notice failed says the run was created and the scheduler finds it on its next pass', async (t) => {
    const redis = await startRedis({ password: PASSWORD });
    t.after(() => redis.stop());
    const wrong = redis.url.replace(encodeURIComponent(PASSWORD), 'not-it');
    const r = await runCli(['dags', 'trigger', 'branch_join'], { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder, REDIS_URL: wrong });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Created run manual__\S+ of DAG branch_join/);
    assert.match(
      r.stderr,
      /updraft: the scheduler could not be told at once \(Redis at 127\.0\.0\.1:\d+ refused the password: put the right one in REDIS_URL\); run manual__\S+ was created and a running scheduler finds it on its next pass\n$/,
    );
  });

  it('standalone with the right password: its start line and its processes show no password', async (t) => {
    const redis = await startRedis({ password: PASSWORD });
    t.after(() => redis.stop());
    const standalone = startUpdraft(
      ['standalone', '--workers', '1', '--port', String(await freePort())],
      {
        UPDRAFT_HOME: tempDir(),
        UPDRAFT_DAGS_FOLDER: folder,
        REDIS_URL: redis.url,
        UPDRAFT_REDIS_PREFIX: redis.prefix,
        UPDRAFT_API_TOKEN: TOKEN,
        UPDRAFT_LOG_LEVEL: 'info',
      },
      tempDir(),
    );
    t.after(() => standalone.stop());
    const started = await waitFor(
      'the standalone start line',
      async () => records(standalone.logFile).find((r) => String(r.msg).startsWith('standalone: scheduler, workers')),
      60_000,
    );
    assert.equal(started.redis, redis.url.replace(`:${encodeURIComponent(PASSWORD)}@`, ':***@'));
    await waitFor('the worker start line', async () => records(standalone.logFile).some((r) => r.msg === 'worker started'), 60_000);
    await standalone.stop();
    noSecret(readFileSync(standalone.logFile, 'utf8'), 'standalone log');
  });

  it('a worker whose Redis goes away and comes back logs one record when it is lost, one retrying, one back: no stacks, no password', async (t) => {
    const port = await freePort();
    let server = await passwordRedis(t, port);
    const url = `redis://:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}`;
    const worker = startUpdraft(
      ['worker'],
      { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder, REDIS_URL: url, UPDRAFT_LOG_LEVEL: 'info' },
      tempDir(),
    );
    t.after(() => worker.stop('SIGKILL'));
    await waitFor('worker started', async () => records(worker.logFile).some((r) => r.msg === 'worker started'), 60_000);
    server.kill('SIGKILL');
    await waitFor('the lost record', async () => records(worker.logFile).some((r) => r.event === 'connection_lost'), 30_000);
    server = await passwordRedis(t, port);
    await waitFor('the back record', async () => records(worker.logFile).some((r) => r.event === 'connection_back'), 30_000);
    await worker.stop();

    const log = records(worker.logFile);
    const count = (event: string): number => log.filter((r) => r.event === event).length;
    assert.equal(count('connection_lost'), 1, JSON.stringify(log));
    assert.equal(count('connection_retrying'), 1, JSON.stringify(log));
    assert.equal(count('connection_back'), 1, JSON.stringify(log));
    const lost = log.find((r) => r.event === 'connection_lost')!;
    assert.equal(lost.service, 'redis');
    assert.equal(lost.address, `127.0.0.1:${port}`);
    assert.doesNotMatch(String(lost.reason), /\n/);
    assert.deepEqual(
      log.filter((r) => Number(r.level) >= 40 && r.event !== 'connection_lost'),
      [],
      'no other warning or error',
    );
    assert.ok(!readFileSync(worker.logFile, 'utf8').includes('"stack"'), 'no stack');
    noSecret(readFileSync(worker.logFile, 'utf8'), 'worker log');
  });

  it('a worker whose PostgreSQL goes away and comes back logs one record when it is lost and one when it is back', {
    skip: pgAvailable ? false : `no PostgreSQL at ${ADMIN_URL}`,
  }, async (t) => {
    const [database, redis] = await Promise.all([throwawayDatabase(), startRedis()]);
    const relay = await pausableRelay(Number(new URL(ADMIN_URL).port || 5432));
    const url = new URL(database.url);
    url.host = `127.0.0.1:${relay.port}`;
    url.password = PASSWORD;
    const worker = startUpdraft(
      ['worker'],
      {
        UPDRAFT_HOME: tempDir(),
        UPDRAFT_DAGS_FOLDER: folder,
        REDIS_URL: redis.url,
        UPDRAFT_REDIS_PREFIX: redis.prefix,
        UPDRAFT_DATABASE_URL: url.href,
        UPDRAFT_LOG_LEVEL: 'info',
      },
      tempDir(),
    );
    t.after(async () => {
      await worker.stop('SIGKILL');
      await relay.cut().catch(() => undefined);
      await Promise.all([redis.stop(), database.drop()]);
    });
    await waitFor('worker started', async () => records(worker.logFile).some((r) => r.msg === 'worker started'), 60_000);
    await relay.cut();
    // The worker's own heartbeat (every few seconds) is the query that finds PostgreSQL gone.
    await waitFor('the lost record', async () => records(worker.logFile).some((r) => r.event === 'connection_lost'), 30_000);
    await relay.resume();
    await waitFor('the back record', async () => records(worker.logFile).some((r) => r.event === 'connection_back'), 30_000);
    await worker.stop();
    const log = records(worker.logFile);
    const events = log.filter((r) => r.service === 'postgres').map((r) => r.event);
    assert.equal(events.filter((e) => e === 'connection_lost').length, 1, JSON.stringify(log));
    assert.equal(events.filter((e) => e === 'connection_back').length, 1, JSON.stringify(log));
    assert.ok(events.filter((e) => e === 'connection_retrying').length <= 1, JSON.stringify(log));
    assert.ok(!readFileSync(worker.logFile, 'utf8').includes('"stack"'), 'no stack');
    noSecret(readFileSync(worker.logFile, 'utf8'), 'worker log');
  });

  it('updraft info with passwords in REDIS_URL, the store URL and the artifacts URL prints none of them', async () => {
    const r = await runCli(['info'], {
      UPDRAFT_HOME: tempDir(),
      UPDRAFT_DAGS_FOLDER: folder,
      UPDRAFT_API_TOKEN: TOKEN,
      REDIS_URL: `redis://default:${PASSWORD}@10.0.0.5:6379`,
      UPDRAFT_DATABASE_URL: `postgres://updraft:${PASSWORD}@db.internal:5432/updraft`,
      UPDRAFT_ARTIFACTS_URL: `postgres://db.internal:5432/artifacts?user=updraft&password=${encodeURIComponent(PASSWORD)}`,
    });
    assert.equal(r.code, 0, r.stderr);
    noSecret(r.stdout + r.stderr, 'updraft info');
    assert.match(r.stdout, /redis:\/\/default:\*\*\*@10\.0\.0\.5:6379/);
    assert.match(r.stdout, /postgres:\/\/updraft:\*\*\*@db\.internal:5432\/updraft/);
  });

  it('an unknown PostgreSQL database or role: one line naming it, exit 1', async () => {
    const base = new URL(ADMIN_URL);
    const missingDb = new URL(base);
    missingDb.pathname = '/updraft_no_such_database';
    missingDb.password = PASSWORD;
    const missingRole = new URL(base);
    missingRole.username = 'updraft_no_such_role';
    missingRole.password = PASSWORD;
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder };
    const list = (url: URL) => runCli(['dags', 'list'], { ...env, UPDRAFT_DATABASE_URL: url.href });
    const [db, role] = await Promise.all([list(missingDb), list(missingRole)]);
    const at = `PostgreSQL at ${base.hostname}:${base.port || '5432'}`;
    assert.equal(db.code, 1);
    assert.equal(
      db.stderr,
      `updraft: error: database updraft_no_such_database does not exist on ${at}: create it (createdb updraft_no_such_database) or name another in UPDRAFT_DATABASE_URL\n`,
    );
    assert.equal(role.code, 1);
    assert.equal(
      role.stderr,
      `updraft: error: role updraft_no_such_role does not exist on ${at}: create it or name another user in UPDRAFT_DATABASE_URL\n`,
    );
    noSecret(db.stderr + role.stderr, 'PostgreSQL errors');
  });
});
