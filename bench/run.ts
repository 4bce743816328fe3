// npm run bench: Updraft against raw BullMQ, in one run, on one private Redis.
// Figures are ratios against the baseline measured here and now: these machines are shared and noisy.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Table from 'cli-table3';
import { Store } from '../engine/store/store.ts';
import { tempDir, cliJson } from '../test/helpers/cli.ts';
import { startUpdraft, waitFor, type UpdraftProcess } from '../test/helpers/processes.ts';
import { startRedis } from '../test/helpers/redis.ts';
import { writeBenchDags } from './dag-files.ts';
import { rawChain, rawThroughput } from './raw-bullmq.ts';

const WORKERS = 2;
const CONCURRENCY = 8;

const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const ms = (iso: string | null): number => new Date(iso!).getTime();
const fmt = (x: number, digits = 2): string => x.toFixed(digits);

async function main(): Promise<void> {
  const redis = await startRedis();
  const home = tempDir('updraft-bench-');
  const folder = join(home, 'dags');
  mkdirSync(folder);
  writeBenchDags(folder);
  const env = { UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: folder, REDIS_URL: redis.url, UPDRAFT_REDIS_PREFIX: redis.prefix, UPDRAFT_LOG_LEVEL: 'warn' };
  const logs = join(home, 'logs');
  mkdirSync(logs);
  const store = await Store.open({ home });
  const processes: UpdraftProcess[] = [];
  const start = (args: string[]): UpdraftProcess => {
    const p = startUpdraft(args, { ...env, UPDRAFT_LOG_LEVEL: 'info' }, logs);
    processes.push(p);
    return p;
  };
  const stopAll = async (): Promise<void> => {
    await Promise.all(processes.splice(0).map((p) => p.stop('SIGTERM')));
  };
  const ready = (p: UpdraftProcess, marker: string) =>
    waitFor(`${marker} in ${p.logFile}`, async () => (await import('node:fs')).readFileSync(p.logFile, 'utf8').includes(marker), 120_000);
  const runDag = async (dagId: string): Promise<{ runId: string; seconds: number }> => {
    const { run_id: runId } = await cliJson<{ run_id: string }>(['dags', 'trigger', dagId], env);
    const run = await waitFor(`${dagId} to finish`, async () => {
      const r = await store.runs.get(dagId, runId);
      return r && (r.state === 'success' || r.state === 'failed') ? r : undefined;
    }, 900_000);
    if (run.state !== 'success') throw new Error(`${dagId} run ${runId} ${run.state}`);
    return { runId, seconds: (ms(run.endDate) - ms(run.startDate)) / 1000 };
  };
  const rows: string[][] = [];
  process.stderr.write(`bench: ${WORKERS} worker processes x concurrency ${CONCURRENCY}; Redis ${redis.url}\n`);

  // (a) + (b): hand-off latency on a 500-long chain.
  const raw = await rawChain(redis.url, `${redis.prefix}raw`, 500);
  await cliJson(['dags', 'list'], env);
  await ready(start(['scheduler']), 'scheduler started');
  await ready(start(['worker', '--concurrency', '1']), 'worker started');
  const chain = await runDag('bench_chain_500');
  const tries = (await store.tasks.allTries('bench_chain_500', chain.runId)).sort((a, b) => Number(a.taskId.slice(1)) - Number(b.taskId.slice(1)));
  const hops = tries.slice(1).map((t, i) => ms(t.startDate) - ms(tries[i]!.endDate));
  const rawP50 = quantile(raw, 0.5);
  const hopP50 = quantile(hops, 0.5);
  rows.push(['(a) raw BullMQ chain of 500: ms per hop', `p50 ${fmt(rawP50)}  p99 ${fmt(quantile(raw, 0.99))}`, '', '']);
  rows.push(['(b) Updraft chain of 500 tasks: ms per hop (ms-resolution timestamps)', `p50 ${fmt(hopP50)}  p99 ${fmt(quantile(hops, 0.99))}`, `${fmt(hopP50 / rawP50)}x raw`, 'p50 <= 2x raw']);
  // Store timestamps have 1 ms resolution; the mean over 499 hops does not suffer from it.
  const hopMean = hops.reduce((a, b) => a + b, 0) / hops.length;
  const rawMean = raw.reduce((a, b) => a + b, 0) / raw.length;
  rows.push(['(b) the same, mean hop (raw mean in brackets)', `${fmt(hopMean)} (${fmt(rawMean)})`, `${fmt(hopMean / rawMean)}x raw`, '']);
  await stopAll();

  // (c) throughput on 10,000 noop jobs / tasks, same worker count and concurrency.
  const rawRate = await rawThroughput(redis.url, `${redis.prefix}raw`, 10_000, WORKERS, CONCURRENCY);
  await ready(start(['scheduler']), 'scheduler started');
  for (let i = 0; i < WORKERS; i++) await ready(start(['worker', '--concurrency', String(CONCURRENCY)]), 'worker started');
  const wide = await runDag('bench_wide_10000');
  const rate = 10_000 / wide.seconds;
  rows.push(['(c) raw BullMQ: 10,000 noop jobs', `${fmt(rawRate, 0)} jobs/s`, '', '']);
  rows.push(['(c) Updraft: DAG of 10,000 independent noop tasks', `${fmt(rate, 0)} tasks/s`, `${fmt((100 * rate) / rawRate, 1)}% of raw`, '>= 50% of raw']);
  await stopAll();

  // (d) scaling: 200 tasks sleeping 50 ms, 1 vs 2 vs 4 worker processes of concurrency 1.
  await ready(start(['scheduler']), 'scheduler started');
  let base = 0;
  for (const n of [1, 2, 4]) {
    const workers = [];
    for (let i = 0; i < n; i++) workers.push(start(['worker', '--concurrency', '1']));
    await Promise.all(workers.map((w) => ready(w, 'worker started')));
    const { seconds } = await runDag('bench_sleep_200');
    if (n === 1) base = seconds;
    const efficiency = (base / seconds) / n;
    rows.push([`(d) 200 x 50 ms tasks, ${n} worker process(es)`, `${fmt(seconds)} s`, n === 1 ? 'baseline' : `${fmt(base / seconds)}x speed-up, ${fmt(100 * efficiency, 0)}% of linear`, n === 1 ? '' : '>= 80% of linear']);
    await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    processes.splice(processes.indexOf(workers[0]!), n);
  }
  await stopAll();

  const table = new Table({ head: ['measure', 'result', 'ratio', 'target'], style: { head: [], border: [] } });
  table.push(...rows);
  process.stdout.write(`${table.toString()}\n`);
  await store.close();
  await redis.stop();
}

await main();
