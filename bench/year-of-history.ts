// Bench (n): a year of history — 100,000 runs and 1,000,000 task instances (10 DAGs × 10,000 hourly runs
// × 10 tasks) written in bulk, then the reads a user waits for: `dags list-runs` and `tasks
// states-for-dag-run` (real CLI processes), the grid API and the REST lists (fastify inject: server
// time), each the median of 5 after a warm-up, against 300 ms. Prints the query plans of the reads.
//
//   npm run bench:history                       SQLite
//   npm run bench:history -- --postgres         PostgreSQL (a throw-away database on the local server)
//   npm run bench:history -- --runs 10000       a smaller store
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { type Insertable, sql } from 'kysely';
import { createLogger } from '../engine/logging/logger.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { currentBuild } from '../engine/runtime/build-stamp.mjs';
import type { DagRunTable, TaskInstanceTable } from '../engine/store/schema.ts';
import type { Store } from '../engine/store/store.ts';
import { createWebserver } from '../engine/webserver/server.ts';
import { throwawayDatabase } from '../test/helpers/postgres.ts';
import { wideDagSpec } from './synthetic-history.ts';

const TARGET_MS = 300;
const REPO = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '100000' },
    dags: { type: 'string', default: '10' },
    tasks: { type: 'string', default: '10' },
    postgres: { type: 'boolean', default: false },
  },
});
const totalRuns = Number(args.runs),
  dagCount = Number(args.dags),
  taskCount = Number(args.tasks);
const runsPerDag = Math.ceil(totalRuns / dagCount);
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();

/** Writes the history in multi-row inserts (what a year of scheduler passes would have left behind). */
async function seed(store: Store): Promise<void> {
  const start = Date.UTC(2025, 0, 1);
  for (let d = 0; d < dagCount; d++) {
    const spec = wideDagSpec({ dagId: `history_${d}`, tasks: taskCount, groupSize: taskCount });
    await store.dags.upsert(spec, { fileloc: `/nonexistent/history_${d}.ts`, relativeFileloc: null }, 'synthetic000000', iso(Date.now()));
    for (let first = 0; first < runsPerDag; first += 500) {
      const runs: Array<Insertable<DagRunTable>> = [];
      const tis: Array<Insertable<TaskInstanceTable>> = [];
      for (let r = first; r < Math.min(first + 500, runsPerDag); r++) {
        const logical = start + r * HOUR;
        const runId = `scheduled__${iso(logical)}`;
        const failed = r % 7 === 3;
        runs.push({
          dag_id: spec.dagId,
          run_id: runId,
          run_type: 'scheduled',
          logical_date: iso(logical),
          data_interval_start: iso(logical),
          data_interval_end: iso(logical + HOUR),
          conf: '{}',
          state: failed ? 'failed' : 'success',
          queued_at: iso(logical + HOUR),
          start_date: iso(logical + HOUR),
          end_date: iso(logical + HOUR + 60_000),
          note: null,
          executor: null,
        });
        for (const [i, task] of spec.tasks.entries()) {
          const begin = logical + HOUR + i * 5000;
          tis.push({
            dag_id: spec.dagId,
            run_id: runId,
            task_id: task.taskId,
            try_number: 1,
            state: failed && i === taskCount - 1 ? 'failed' : 'success',
            operator: task.operator,
            queue: 'default',
            max_tries: 2,
            queued_at: iso(begin),
            start_date: iso(begin + 100),
            end_date: iso(begin + 4000),
            duration_ms: 3900,
            hostname: 'bench-host',
            worker_id: 'bench-host:1',
            error: null,
            updated_at: iso(begin + 4000),
            retry_delay_ms: 1000,
            retry_exponential_backoff: 0,
            max_retry_delay_ms: null,
            queued_by: 'scheduler bench',
          });
        }
      }
      await store.write(async (tx) => {
        await tx.insertInto('dag_run').values(runs).execute();
        for (let i = 0; i < tis.length; i += 1000)
          await tx
            .insertInto('task_instance')
            .values(tis.slice(i, i + 1000))
            .execute();
      });
    }
  }
}

/** CPU of waited-for children so far (cutime + cstime of /proc/self/stat), in ms. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) / 100) * 1000;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const began = performance.now();
    await fn();
    times.push(performance.now() - began);
  }
  return median(times);
}

const home = mkdtempSync(join(tmpdir(), 'updraft-bench-history-'));
const database = args.postgres ? await throwawayDatabase('updraft_bench_history') : null;
if (database) process.env.UPDRAFT_DATABASE_URL = database.url;
const store = await openStoreWithPlugins({ home });
try {
  const seedStart = performance.now();
  await seed(store);
  const tis = Number(
    (
      await store.db
        .selectFrom('task_instance')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst()
    )?.n,
  );
  process.stdout.write(
    `seeded ${runsPerDag * dagCount} runs and ${tis} task instances on ${store.dialect} in ${((performance.now() - seedStart) / 1000).toFixed(0)} s\n`,
  );
  if (store.dialect === 'postgres') await sql`analyze`.execute(store.db);

  const dagId = 'history_3';
  const runs = await store.runs.list(dagId, { limit: 1 });
  const runId = runs[0]!.runId;
  const table = new Table({ head: ['read', 'median of 5 (ms)', `target ≤ ${TARGET_MS} ms`], style: { head: [], border: [] } });
  const row = (name: string, ms: number): void => void table.push([name, ms.toFixed(0), ms <= TARGET_MS ? 'ok' : 'OVER']);

  const env = { ...process.env, UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: join(home, 'no-dags') };
  // The CLI as users run it: the precompiled build (built first when missing or stale, as bench:cli does).
  if (!currentBuild(REPO) && spawnSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { stdio: 'inherit' }).status !== 0)
    throw new Error('build failed');
  let cliCpu = 0;
  const cli = (argv: string[]) => () => {
    const cpuBefore = childrenCpuMs();
    const r = spawnSync(process.execPath, [join(REPO, 'bin', 'updraft.mjs'), ...argv], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.status !== 0) throw new Error(`updraft ${argv.join(' ')}: ${r.stderr}`);
    cliCpu = childrenCpuMs() - cpuBefore;
  };
  const cliRow = async (name: string, argv: string[]): Promise<void> => {
    const ms = await timed(cli(argv));
    table.push([`${name} (process; CPU of the last: ${cliCpu.toFixed(0)} ms)`, ms.toFixed(0), ms <= TARGET_MS ? 'ok' : 'OVER']);
  };
  // A folder that was parsed once (so reads do not try to parse it).
  const { DagFolderParseRepository } = await import('../engine/store/dag-folder-parse-repository.ts');
  await new DagFolderParseRepository(store.db).record({
    folder: join(home, 'no-dags'),
    parsedAt: iso(Date.now()),
    parsedBy: 'scheduler',
    durationMs: 0,
    dagCount,
    importErrorCount: 0,
  });
  await cliRow(`updraft dags list-runs ${dagId} --limit 25`, ['dags', 'list-runs', dagId, '--limit', '25']);
  await cliRow(`updraft dags list-runs ${dagId} (all ${runsPerDag}, json)`, ['dags', 'list-runs', dagId, '-o', 'json']);
  await cliRow('updraft tasks states-for-dag-run', ['tasks', 'states-for-dag-run', dagId, runId]);

  process.env.UPDRAFT_LOG_LEVEL ??= 'warn';
  const app = await createWebserver({ store, log: createLogger('webserver') });
  const get = (url: string) => async () => {
    const response = await app.inject({ url });
    if (response.statusCode !== 200) throw new Error(`${url}: HTTP ${response.statusCode}`);
  };
  row('GET grid (25 runs)', await timed(get(`/api/v1/dags/${dagId}/grid`)));
  row('GET dagRuns (limit 100)', await timed(get(`/api/v1/dags/${dagId}/dagRuns?limit=100`)));
  row('GET dagRuns?state=failed (limit 100)', await timed(get(`/api/v1/dags/${dagId}/dagRuns?limit=100&state=failed`)));
  row(
    `GET dagRuns, last page (offset ${runsPerDag - 100})`,
    await timed(get(`/api/v1/dags/${dagId}/dagRuns?limit=100&offset=${runsPerDag - 100}`)),
  );
  row('GET taskInstances of a run', await timed(get(`/api/v1/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances`)));
  await app.close();
  process.stdout.write(
    `\n(n) a year of history: ${runsPerDag * dagCount} runs, ${tis} task instances, ${store.dialect}\n${table.toString()}\n`,
  );

  // The plans of the reads above.
  const explain = store.dialect === 'sqlite' ? 'explain query plan' : 'explain';
  const plans: Array<[string, string]> = [
    ['runs of a DAG, newest first', `select * from dag_run where dag_id = '${dagId}' order by logical_date desc limit 25`],
    [
      'runs of a DAG in a state',
      `select * from dag_run where dag_id = '${dagId}' and state = 'failed' order by logical_date desc limit 25`,
    ],
    ["count of a DAG's runs in a state", `select count(*) from dag_run where dag_id = '${dagId}' and state = 'failed'`],
    ['tries of a run', `select * from task_instance where dag_id = '${dagId}' and run_id = '${runId}' order by task_id, try_number`],
    ['DAGs with queued runs (scheduler)', `select distinct dag_id from dag_run where state in ('queued')`],
  ];
  for (const [name, query] of plans) {
    const result = await sql.raw(`${explain} ${query}`).execute(store.db);
    const lines = (result.rows as Array<Record<string, unknown>>).map((r) => String(r.detail ?? r['QUERY PLAN']));
    process.stdout.write(`\n${name}:\n  ${lines.join('\n  ')}\n`);
  }
} finally {
  await store.close();
  await database?.drop();
}
