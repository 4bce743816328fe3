import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cpuPerTask, cpuSnapshot } from './process-cpu.ts';

const connection = (url: string) => new Redis(url, { maxRetriesPerRequest: null });

/** Raw BullMQ: a chain of `n` jobs where each completion enqueues the next. Returns hop times (ms). */
export async function rawChain(url: string, prefix: string, n: number): Promise<number[]> {
  const conn = connection(url);
  const queue = new Queue('raw-chain', { connection: conn, prefix });
  const hops: number[] = [];
  let completedAt = 0;
  let done: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const worker = new Worker(
    'raw-chain',
    async (job: Job<{ i: number }>) => {
      if (job.data.i > 0) hops.push(performance.now() - completedAt);
      return job.data.i;
    },
    { connection: conn, prefix, concurrency: 1 },
  );
  worker.on('completed', async (job) => {
    completedAt = performance.now();
    const i = (job.data as { i: number }).i;
    if (i + 1 < n) await queue.add('hop', { i: i + 1 }, { removeOnComplete: true });
    else done();
  });
  await queue.add('hop', { i: 0 }, { removeOnComplete: true });
  await finished;
  await worker.close();
  await queue.close();
  conn.disconnect();
  return hops;
}

/** Raw BullMQ throughput: `n` noop jobs drained by `workers` worker processes of `concurrency`: jobs/s, and CPU ms per job of the workers and of Redis (`redisPid`). */
export async function rawThroughput(
  url: string,
  prefix: string,
  n: number,
  workers: number,
  concurrency: number,
  redisPid?: number,
): Promise<{ rate: number; cpu: Map<string, number> }> {
  const conn = connection(url);
  const queue = new Queue('raw-throughput', { connection: conn, prefix });
  const children = Array.from({ length: workers }, () =>
    spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'raw-worker.ts'), url, prefix, 'raw-throughput', String(concurrency)],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    ),
  );
  await Promise.all(children.map((c) => new Promise((r) => c.stdout!.once('data', r))));
  const roles = { workers: children.map((c) => c.pid!), redis: redisPid ? [redisPid] : [] };
  const cpuBefore = cpuSnapshot(roles);
  const started = performance.now();
  for (let i = 0; i < n; i += 1000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1000, n - i) }, (_, j) => ({ name: 'noop', data: { i: i + j }, opts: { removeOnComplete: true } })),
    );
  }
  for (;;) {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    if (Object.values(counts).every((c) => c === 0)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuPerTask(cpuBefore, cpuSnapshot(roles), n);
  for (const c of children) c.kill('SIGTERM');
  await queue.close();
  conn.disconnect();
  return { rate: n / seconds, cpu };
}
