// npm run bench:queue — Updraft against raw BullMQ, in one run, on one private Redis.
// Figures are ratios against the baseline measured here and now: these machines are shared and noisy.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { tempDir } from '../test/helpers/cli.ts';
import { postgresAnswers, throwawayDatabase } from '../test/helpers/postgres.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { writeBenchDags } from './dag-files.ts';
import { BenchInstallation, type ProcessCounts } from './installation.ts';
import { rawChain, rawThroughput } from './raw-bullmq.ts';
import { measureJoinShapes } from './join-shapes.ts';
import { statementsPerTask } from './statements.ts';
import { cpuPerTask, cpuSnapshot, formatCpu, totalCpu } from './process-cpu.ts';

const WORKERS = 2;
const CONCURRENCY = 8;
const WIDE = 10_000;
/** `-- --joins`: only the join rows (k) and (l) with their independent baseline, on both stores. */
const JOINS_ONLY = process.argv.includes('--joins');

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const fmt = (x: number, digits = 2): string => x.toFixed(digits);
const perTask = (counts: ProcessCounts[] | undefined, tasks: number): string => {
  const sum = (counts ?? []).reduce((a, c) => ({ statements: a.statements + c.statements, commits: a.commits + c.commits }), {
    statements: 0,
    commits: 0,
  });
  return `${fmt(sum.statements / tasks, 1)} statements, ${fmt(sum.commits / tasks, 2)} commits`;
};

/** Undone when the bench ends, also when it crashes: no scheduler, worker or redis-server is left behind. */
const cleanups: Array<() => Promise<unknown>> = [];

async function main(): Promise<void> {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const folder = join(tempDir('updraft-bench-dags-'), 'dags');
  mkdirSync(folder);
  writeBenchDags(folder);
  const rows: string[][] = [];
  const say = (line: string): boolean => process.stderr.write(`bench: ${line}\n`);
  say(`${WORKERS} worker processes x concurrency ${CONCURRENCY}; Redis ${redis.url}`);

  // (a) the baseline hop and (c) the baseline throughput, measured once for every store below.
  const raw = JOINS_ONLY ? [1] : await rawChain(redis.url, `${redis.prefix}raw`, 500);
  const rawP50 = quantile(raw, 0.5);
  const rawMean = mean(raw);
  const { rate: rawRate, cpu: rawCpu } = JOINS_ONLY
    ? { rate: 1, cpu: null }
    : await rawThroughput(redis.url, `${redis.prefix}raw`, WIDE, WORKERS, CONCURRENCY, redis.pid);
  if (!JOINS_ONLY)
    rows.push([
      '(a) raw BullMQ chain of 500: ms per hop',
      `p50 ${fmt(rawP50)}  p99 ${fmt(quantile(raw, 0.99))}  mean ${fmt(rawMean)}`,
      '',
      '',
    ]);
  if (!JOINS_ONLY) rows.push([`(c) raw BullMQ: ${WIDE.toLocaleString('en')} noop jobs`, `${fmt(rawRate, 0)} jobs/s`, '', '']);
  if (rawCpu) rows.push(['(c) raw BullMQ: CPU per job', formatCpu(rawCpu), '', '']);

  /** (b) + (c) on one store: hop on a 500-chain with one worker of concurrency 1; throughput of a 10,000-wide DAG. */
  const measureStore = async (
    label: string,
    tag: string,
    installation: BenchInstallation,
    targets: { hop: number; rate: number },
    databaseUrl?: string,
  ): Promise<number> => {
    rows.push(...(await measureJoinShapes(installation, label, tag, WORKERS, CONCURRENCY, say, databaseUrl)));
    if (JOINS_ONLY) return 1;
    say(`${label}: chain of 500`);
    await installation.start(['scheduler']);
    await installation.start(['worker', '--concurrency', '1']);
    const chain = await installation.runDag('bench_chain_500');
    const hops = await installation.hops('bench_chain_500', chain.runId);
    const chainCounts = await installation.stopAll();
    const hopP50 = quantile(hops, 0.5);
    rows.push([
      `(${tag}) ${label}: Updraft chain of 500 tasks, ms per hop`,
      `p50 ${fmt(hopP50)}  p99 ${fmt(quantile(hops, 0.99))}  mean ${fmt(mean(hops))}`,
      `p50 ${fmt(hopP50 / rawP50)}x raw, mean ${fmt(mean(hops) / rawMean)}x raw`,
      `p50 <= ${targets.hop}x raw`,
    ]);
    rows.push([
      `(${tag}) ${label}: chain, store statements per task (worker / scheduler)`,
      `${perTask(chainCounts.get('worker'), 500)} / ${perTask(chainCounts.get('scheduler'), 500)}`,
      '',
      '',
    ]);

    say(`${label}: ${WIDE} wide`);
    await installation.start(['scheduler']);
    for (let i = 0; i < WORKERS; i++) await installation.start(['worker', '--concurrency', String(CONCURRENCY)]);
    // CPU by process: on a shared machine it moves far less than the rate does, and says where a task's cost goes.
    const roles = () => ({
      workers: installation.pids('worker'),
      scheduler: installation.pids('scheduler'),
      redis: redis.pid ? [redis.pid] : [],
    });
    const cpuBefore = cpuSnapshot(roles(), { postgres: tag === 'e' });
    const wide = await installation.runDag('bench_wide_10000');
    const cpu = cpuPerTask(cpuBefore, cpuSnapshot(roles(), { postgres: tag === 'e' }), WIDE);
    const wideCounts = await installation.stopAll();
    const rate = WIDE / wide.seconds;
    rows.push([
      `(${tag}) ${label}: DAG of ${WIDE.toLocaleString('en')} independent noop tasks`,
      `${fmt(rate, 0)} tasks/s`,
      `${fmt((100 * rate) / rawRate, 1)}% of raw`,
      `>= ${targets.rate}% of raw`,
    ]);
    rows.push([
      `(${tag}) ${label}: wide, CPU per task`,
      formatCpu(cpu),
      `${fmt(totalCpu(cpu) / totalCpu(rawCpu ?? cpu))}x raw's CPU per job`,
      '',
    ]);
    rows.push([
      `(${tag}) ${label}: wide, store statements per task (workers / scheduler)`,
      `${perTask(wideCounts.get('worker'), WIDE)} / ${perTask(wideCounts.get('scheduler'), WIDE)}`,
      '',
      '',
    ]);

    const phases = await statementsPerTask(installation.store, 'bench_light_40');
    rows.push([
      `(${tag}) ${label}: per task, one call at a time: try start | outcome + downstream`,
      `${fmt(phases.start.statements, 1)} st, ${fmt(phases.start.commits, 1)} commit | ${fmt(phases.finish.statements, 1)} st, ${fmt(phases.finish.commits, 1)} commit`,
      '',
      '',
    ]);
    return rate;
  };

  const sqlite = await BenchInstallation.open(redis, folder);
  cleanups.push(() => sqlite.close());
  const sqliteRate = await measureStore('SQLite', 'b/c', sqlite, { hop: 1.5, rate: 50 });
  if (!JOINS_ONLY) {
    // (d) scaling: 200 tasks sleeping 50 ms, 1 vs 2 vs 4 worker processes of concurrency 1.
    await sqlite.start(['scheduler']);
    let base = 0;
    for (const n of [1, 2, 4]) {
      say(`(d) ${n} worker process(es)`);
      const workers = [];
      for (let i = 0; i < n; i++) workers.push(await sqlite.start(['worker', '--concurrency', '1']));
      const { seconds } = await sqlite.runDag('bench_sleep_200');
      if (n === 1) base = seconds;
      rows.push([
        `(d) 200 x 50 ms tasks, ${n} worker process(es)`,
        `${fmt(seconds)} s`,
        n === 1 ? 'baseline' : `${fmt(base / seconds)}x speed-up, ${fmt((100 * base) / seconds / n, 0)}% of linear`,
        n === 1 ? '' : '>= 80% of linear',
      ]);
      await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    }
    await sqlite.stopAll();

    // (f) shapes of a public cross-engine benchmark (Airflow 116 s / 54.7 s, Hatchet 1.2 s / 7.8 s on its hardware).
    say('(f) sequences');
    await sqlite.start(['scheduler']);
    await sqlite.start(['worker', '--concurrency', String(CONCURRENCY)]);
    const light = await sqlite.runDag('bench_light_40');
    const second = await sqlite.runDag('bench_second_10');
    await sqlite.stopAll();
    rows.push(['(f) 40 light tasks in sequence: trigger -> run success', `${fmt(light.fromTrigger, 3)} s`, '', '<= 0.5 s']);
    rows.push([
      '(f) 10 tasks of 1 s in sequence: trigger -> run success',
      `${fmt(second.fromTrigger, 3)} s`,
      `${fmt(second.fromTrigger - 10, 3)} s overhead`,
      '',
    ]);
  }
  await sqlite.close();

  // (e) the same on PostgreSQL, a throw-away database on the machine's server.
  if (await postgresAnswers()) {
    const database = await throwawayDatabase('updraft_bench');
    try {
      const pg = await BenchInstallation.open(redis, folder, { UPDRAFT_DATABASE_URL: database.url });
      cleanups.push(() => pg.close());
      const pgRate = await measureStore('PostgreSQL', 'e', pg, { hop: 3, rate: 35 }, database.url);
      if (!JOINS_ONLY)
        rows.push(['(e) PostgreSQL throughput against SQLite', `${fmt(pgRate / sqliteRate, 2)}x SQLite`, '', 'within 1.5x of SQLite']);
      await pg.close();
    } finally {
      await database.drop();
    }
  } else {
    rows.push(['(e) PostgreSQL', 'skipped: no server answers', '', '']);
  }

  const table = new Table({ head: ['measure', 'result', 'ratio', 'target'], style: { head: [], border: [] } });
  table.push(...rows);
  process.stdout.write(`${table.toString()}\n`);
  await redis.stop();
}

try {
  await main();
} finally {
  for (const undo of cleanups.reverse()) await undo().catch(() => undefined);
}
