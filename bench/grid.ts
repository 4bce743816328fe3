// Bench: the web UI's grid API for a 1,000-task DAG × 25 runs (issue 14: ≤ 300 ms server time).
// Seeds a SQLite store (bench/synthetic-history.ts), then times GET /api/v1/dags/<id>/grid through
// fastify's inject (server time: routing, store reads, JSON; no network) and reports p50 / p95.
//
//   npm run bench:grid [-- --tasks 1000 --runs 25 --repeats 40]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { quantile } from 'simple-statistics';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { createWebserver } from '../engine/webserver/server.ts';
import { createLogger } from '../engine/logging/logger.ts';
import { seedHistory, wideDagSpec } from './synthetic-history.ts';

const TARGET_MS = 300;
const { values: args } = parseArgs({
  options: {
    tasks: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '25' },
    repeats: { type: 'string', default: '40' },
  },
});
const tasks = Number(args.tasks),
  runs = Number(args.runs),
  repeats = Number(args.repeats);

const home = mkdtempSync(join(tmpdir(), 'updraft-bench-grid-'));
const store = await openStoreWithPlugins({ home });
const spec = wideDagSpec({ dagId: 'wide_dag', tasks });
const seedStart = performance.now();
await seedHistory(store, spec, runs);
console.log(`seeded ${tasks} tasks × ${runs} runs in ${Math.round(performance.now() - seedStart)} ms (${home})`);

// No Redis is needed for reads; the logger stays quiet.
process.env.UPDRAFT_LOG_LEVEL ??= 'warn';
const app = await createWebserver({ store, log: createLogger('webserver') });
const table = new Table({ head: ['request', 'p50 ms', 'p95 ms', 'bytes', `target (p95 ≤ ${TARGET_MS} ms)`] });
let ok = true;
for (const [name, url, headers] of [
  ['grid, full body', `/api/v1/dags/${spec.dagId}/grid?limit=${runs}`, {}],
  ['grid, If-None-Match → 304', `/api/v1/dags/${spec.dagId}/grid?limit=${runs}`, 'etag'],
  ['task durations', `/api/v1/dags/${spec.dagId}/taskDurations?limit=${runs}`, {}],
] as const) {
  let sendHeaders: Record<string, string> = {};
  if (headers === 'etag') sendHeaders = { 'if-none-match': String((await app.inject({ url })).headers.etag) };
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < repeats + 3; i++) {
    const start = performance.now();
    const response = await app.inject({ url, headers: sendHeaders });
    const ms = performance.now() - start;
    if (response.statusCode !== (headers === 'etag' ? 304 : 200))
      throw new Error(`${url}: HTTP ${response.statusCode} ${response.body.slice(0, 200)}`);
    bytes = response.rawPayload.length;
    if (i >= 3) times.push(ms); // the first requests warm the JIT and the page cache
  }
  const p95 = quantile(times, 0.95);
  ok &&= p95 <= TARGET_MS;
  table.push([name, quantile(times, 0.5).toFixed(1), p95.toFixed(1), bytes, p95 <= TARGET_MS ? 'ok' : 'OVER']);
}
console.log(table.toString());
await app.close();
await store.close();
process.exitCode = ok ? 0 : 1;
