import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { createLogger } from '../../logging/logger.ts';
import { InvalidInputError } from '../../models/errors.ts';
import type { CliContext } from '../context.ts';
import { parsePositiveInt } from '../output.ts';

// Long-running processes: the scheduler (BullMQ), the worker, the webserver
// (fastify) and the logger load inside their actions, so that registering
// these commands costs a read command nothing (see main.ts).
const logger = async (name: string): Promise<ReturnType<typeof createLogger>> =>
  (await import('../../logging/logger.ts')).createLogger(name);

/** The process's logger, which also gets the records of Redis and PostgreSQL going away and coming back. */
async function processLogger(name: string): Promise<ReturnType<typeof createLogger>> {
  const [log, { logConnectionStatesTo }] = await Promise.all([logger(name), import('../../logging/connection-state.ts')]);
  logConnectionStatesTo(log);
  return log;
}

/** Resolves when SIGTERM or SIGINT arrives. */
const untilSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

/** A shutdown that talks to a Redis or store that has gone away never finishes: exit this long after the signal. */
const UNREACHABLE_EXIT_MS = 8_000;

/**
 * Runs `stop` (a graceful shutdown) but exits the process, code 1, once it has
 * taken longer than `budgetMs()` — asked again every 250 ms, so a Redis that
 * goes away mid-shutdown shortens the wait: one SIGTERM must stop a process
 * whose Redis or PostgreSQL is gone, where BullMQ's close and pending queries
 * wait for a reconnection that never comes.
 */
async function stopWithin(stop: () => Promise<void>, budgetMs: () => number, log: { warn(o: object, m: string): void }): Promise<void> {
  const began = Date.now();
  const watchdog = setInterval(() => {
    if (Date.now() - began <= budgetMs()) return;
    log.warn({ waited_ms: Date.now() - began }, 'shutdown did not finish in time (Redis or the store unreachable?): exiting now');
    process.exit(1);
  }, 250);
  await stop();
  clearInterval(watchdog);
}

export function registerProcessCommands(program: Command, ctx: () => CliContext): void {
  program
    .command('scheduler')
    .description('run the scheduler (one per installation)')
    .option('--redis-prefix <prefix>', 'BullMQ key prefix (env UPDRAFT_REDIS_PREFIX)')
    .action(async (o: { redisPrefix?: string }) => {
      const c = ctx();
      await requireRedis();
      const log = await processLogger('scheduler');
      const { Scheduler } = await import('../../scheduler/scheduler.ts');
      const scheduler = new Scheduler(await c.store(), { dagsFolder: c.folder, prefix: o.redisPrefix, clock: c.clock }, log);
      await scheduler.start();
      await untilSignal();
      await stopWithin(
        () => scheduler.stop(),
        () => UNREACHABLE_EXIT_MS,
        log,
      );
    });

  program
    .command('worker')
    .description('run a worker (start as many as you like)')
    .option('-c, --concurrency <n>', 'tasks run at once', '4')
    .option('-q, --queues <names>', 'comma-separated queues to consume', 'default')
    .option('--redis-prefix <prefix>', 'BullMQ key prefix (env UPDRAFT_REDIS_PREFIX)')
    .action(async (o: { concurrency: string; queues: string; redisPrefix?: string }) => {
      const concurrency = parsePositiveInt(o.concurrency, '--concurrency');
      const queues = o.queues
        .split(',')
        .map((q) => q.trim())
        .filter(Boolean);
      const { QUEUE_NAME } = await import('../../models/dag-validation.ts');
      const bad = queues.find((q) => !QUEUE_NAME.test(q));
      if (bad !== undefined || queues.length === 0) throw new InvalidInputError(`--queues: bad queue name '${bad ?? ''}'`);
      await requireRedis();
      const log = await processLogger('worker');
      const { TaskWorker } = await import('../../../workers/task-worker.ts');
      // Each running try may hold a connection (its start, log, outcome); a few more serve reads and heartbeats.
      const c = ctx();
      const store = await c.store({ poolSize: concurrency + 2 });
      const worker = new TaskWorker(store, { concurrency, queues, prefix: o.redisPrefix, dagsFolder: c.folder }, log);
      worker.start();
      await untilSignal();
      // Running tasks get their grace period only while Redis and the store answer: without them their outcomes cannot be recorded or handed on.
      let storeAnswers = true;
      const probe = setInterval(() => void store.answers().then((ok) => (storeAnswers = ok)), 1000);
      await stopWithin(
        () => worker.stop(),
        () => (worker.redisReady() && storeAnswers ? worker.shutdownGraceMs + UNREACHABLE_EXIT_MS : UNREACHABLE_EXIT_MS),
        log,
      );
      clearInterval(probe);
    });

  program
    .command('webserver')
    .description('the web UI and REST API on http://127.0.0.1:8080')
    .option('-p, --port <n>', 'port', '8080')
    .option('-H, --host <host>', 'interface to bind (anything but loopback needs UPDRAFT_API_TOKEN)', '127.0.0.1')
    .action(async (o: { port: string; host: string }) => {
      const port = parsePort(o.port);
      // A bad binding is refused before any work (and before any log line).
      await (await import('../../webserver/auth.ts')).assertSafeBinding(o.host, process.env.UPDRAFT_API_TOKEN || undefined);
      const c = ctx();
      const store = await c.store();
      const log = await processLogger('webserver');
      // The webserver reads the store (ADR 12, docs/adr/0012-readers-read-the-store.md); it parses only a folder nobody
      // has parsed yet, so that the UI shows DAGs before a scheduler has ever run.
      await c.ensureParsed((line) => log.info({ folder: c.folder }, line));
      const { startWebserver } = await import('../../webserver/server.ts');
      const { app, url } = await startWebserver({ store, host: o.host, port, clock: c.clock, log, dagsFolder: c.folder });
      log.info({ url }, `webserver listening on ${url}`);
      await untilSignal();
      await app.close();
    });

  program
    .command('standalone')
    .description('scheduler + N workers in one command (starts a private Redis if needed)')
    .option('-w, --workers <n>', 'worker processes', '2')
    .option('-c, --concurrency <n>', 'tasks per worker', '4')
    .option('-p, --port <n>', 'webserver port', '8080')
    .action(async (o: { workers: string; concurrency: string; port: string }) => {
      const workers = parsePositiveInt(o.workers, '--workers');
      parsePositiveInt(o.concurrency, '--concurrency');
      parsePort(o.port);
      // Its webserver would refuse it, after Redis, the scheduler and the workers had started.
      (await import('../../webserver/auth.ts')).assertApiToken(process.env.UPDRAFT_API_TOKEN || undefined);
      const log = await processLogger('standalone');
      const redis = await ensureRedis(log);
      const env = { ...process.env, REDIS_URL: redis.url };
      const children: ChildProcess[] = [];
      const bin = process.argv[1]!;
      const start = (args: string[]): void => {
        const child = spawn(process.execPath, [bin, '--dags-folder', ctx().folder, ...args], { env, stdio: 'inherit' });
        children.push(child);
      };
      start(['scheduler']);
      for (let i = 0; i < workers; i++) start(['worker', '--concurrency', o.concurrency]);
      start(['webserver', '--port', o.port]);
      const { redact } = await import('../../logging/redact.ts');
      log.info(
        { workers, redis: redact(redis.url), ui: `http://127.0.0.1:${o.port}` },
        'standalone: scheduler, workers and webserver started; Ctrl-C stops them',
      );
      await untilSignal();
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map(exitOf));
      await redis.stop();
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new InvalidInputError(`--port must be a port number (0-65535), got '${value}'`);
  return port;
}

/** Throws a one-line RedisConnectionError unless Redis answers at REDIS_URL and takes its password. */
async function requireRedis(): Promise<void> {
  const [{ probeRedis }, { RedisConnectionError }] = await Promise.all([
    import('../../queue/redis-connection.ts'),
    import('../../queue/errors.ts'),
  ]);
  const probe = await probeRedis();
  if (probe.ok) return;
  if (probe.refusedPassword) throw new RedisConnectionError(probe.message);
  throw new RedisConnectionError(`${probe.message}: start one (redis-server) or set REDIS_URL; 'updraft standalone' starts a private one`);
}

const exitOf = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

/** Redis at REDIS_URL, or a private redis-server under $UPDRAFT_HOME when none answers. */
async function ensureRedis(log: ReturnType<typeof createLogger>): Promise<{ url: string; stop(): Promise<void> }> {
  const [{ probeRedis, redisAnswers, redisUrl }, { updraftHome }, { RedisConnectionError }] = await Promise.all([
    import('../../queue/redis-connection.ts'),
    import('../../store/database.ts'),
    import('../../queue/errors.ts'),
  ]);
  const probe = await probeRedis();
  if (probe.ok) return { url: redisUrl(), stop: async () => {} };
  // A Redis that answers but refuses the password is the one meant: never start another beside it.
  if (probe.refusedPassword) throw new RedisConnectionError(probe.message);
  const which = spawn('sh', ['-c', 'command -v redis-server']);
  const found = await new Promise<boolean>((r) => which.on('exit', (code) => r(code === 0)));
  if (!found) {
    throw new RedisConnectionError(
      `${probe.message} and redis-server is not installed: install it (apt-get install -y redis-server) or set REDIS_URL`,
    );
  }
  const dir = join(updraftHome(), 'redis');
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  const port = 6390 + Math.floor(Math.random() * 500);
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '60 1', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  process.on('exit', () => server.kill());
  const url = `redis://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    server.kill('SIGTERM');
    await exitOf(server);
  };
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers({ redisUrl: url }, 200)) {
      log.info({ url, dir }, 'started a private redis-server');
      return { url, stop };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new InvalidInputError(`could not start a private redis-server on port ${port}`);
}
