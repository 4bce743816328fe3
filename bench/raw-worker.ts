// A raw BullMQ worker process for the throughput baseline: noop jobs, no store.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';

const [url, prefix, queue, concurrency] = process.argv.slice(2);
const worker = new Worker(queue!, async () => null, {
  connection: new Redis(url!, { maxRetriesPerRequest: null }),
  prefix,
  concurrency: Number(concurrency),
});
worker.on('ready', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
