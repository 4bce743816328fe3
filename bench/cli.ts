// Bench (g): wall time of the CLI's read commands against a 1,000-run history,
// with a DAG file in the folder that hangs at import. Each command is a real
// `node bin/updraft.mjs ...` process (what a user waits for); the median of 5.
//
//   npm run bench:cli                         the precompiled build (built first when missing or stale)
//   npm run bench:cli -- --sources            the TypeScript sources through tsx (UPDRAFT_NO_BUILD=1)
//   npm run bench:cli -- --bin <checkout>/bin/updraft.mjs   another checkout's CLI (a before/after comparison)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { parseDagFolder } from '../engine/dag-processing/dag-folder.ts';
import { syncDagFolder } from '../engine/dag-processing/sync.ts';
import { DagRunState, DagRunType } from '../engine/models/states.ts';
import { currentBuild } from '../engine/runtime/build-stamp.mjs';
import { defaultRunId } from '../engine/store/dag-run-repository.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { ModelRegistry } from '../ml/registry/model-registry.ts';

const RUNS = 1_000;
const REPEATS = 5;
const TARGET_MS = 300;
const REPO = resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: {
    bin: { type: 'string' },
    sources: { type: 'boolean', default: false },
    repeats: { type: 'string', default: String(REPEATS) },
    // Seconds a command that imports DAG files would wait for the hanging one (a CLI that still parses on reads).
    'import-timeout': { type: 'string', default: '600' },
    // Leave the hanging file out (to time a CLI that imports the folder on every read without waiting for it).
    'no-hang': { type: 'boolean', default: false },
  },
});
const repeats = Number(args.repeats);
const bin = resolve(args.bin ?? join(REPO, 'bin', 'updraft.mjs'));

const DAG_FILE = `import { dag } from 'updraft';
const d = dag({ dagId: 'bench_chain', schedule: '@daily', startDate: '2020-01-01', catchup: false, tags: ['bench'], defaultArgs: { owner: 'bench' } });
d.task('extract', () => 1).to(d.task('validate', () => 2)).to(d.task('transform', () => 3)).to(d.task('train', () => 4)).to(d.empty('publish'));
export default d;
`;

/** The store and folder a read command meets: a parse recorded by "the scheduler", 1,000 finished runs, a log, a model. */
async function setUp(): Promise<{ home: string; folder: string; runId: string }> {
  const home = mkdtempSync(join(tmpdir(), 'updraft-bench-cli-home-'));
  const folder = mkdtempSync(join(tmpdir(), 'updraft-bench-cli-dags-'));
  writeFileSync(join(folder, 'bench_chain.ts'), DAG_FILE);
  if (!args['no-hang']) writeFileSync(join(folder, 'hangs.ts'), 'while (true) { /* never finishes importing */ }\n');
  const store = await openStoreWithPlugins({ home });
  try {
    // What a scheduler's DAG processor records; a short timeout so that setting up does not wait for the hang.
    const parse = await parseDagFolder(folder, { timeoutMs: 2_000 });
    await syncDagFolder(store, parse, new Date(), 'scheduler');
    const spec = parse.dags.get('bench_chain')?.spec;
    if (!spec) throw new Error(`bench DAG did not load: ${JSON.stringify(parse.importErrors)}`);
    const start = Date.UTC(2023, 0, 1);
    let last = '';
    await store.atomically(async (tx) => {
      for (let i = 0; i < RUNS; i++) {
        const logicalDate = new Date(start + i * 86_400_000);
        const runId = defaultRunId(DagRunType.SCHEDULED, logicalDate);
        const end = new Date(logicalDate.getTime() + 86_400_000);
        await tx.runs.create(
          spec,
          {
            runId,
            runType: DagRunType.SCHEDULED,
            logicalDate,
            dataInterval: { start: logicalDate, end },
            conf: {},
            state: DagRunState.SUCCESS,
          },
          end,
        );
        last = runId;
      }
    });
    await store.logs.append({ dagId: 'bench_chain', runId: last, taskId: 'train', tryNumber: 1 }, 0, 'training...\ndone\n', new Date());
    await new ModelRegistry(store).register('bench_model', pathToFileURL(join(home, 'model.json')).href, { accuracy: 0.9 }, null);
    return { home, folder, runId: last };
  } finally {
    await store.close();
  }
}

function timeCommand(argv: string[], env: NodeJS.ProcessEnv): { ms: number; ok: boolean; stderr: string } {
  const started = performance.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { env, encoding: 'utf8', timeout: 120_000 });
  return { ms: performance.now() - started, ok: r.status === 0, stderr: r.stderr };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const useBuild = !args.sources && !args.bin;
/** Builds when the build is missing or stale: sources edited while the bench runs would otherwise send the CLI to tsx. */
function ensureBuild(): void {
  if (!useBuild || currentBuild(REPO)) return;
  process.stderr.write('bench:cli: no current build; running npm run build first\n');
  const built = spawnSync(process.execPath, [join(REPO, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('build failed');
}
const mode = args.bin ? bin : args.sources ? 'TypeScript sources through tsx' : 'precompiled build (dist/)';

const { home, folder, runId } = await setUp();
// A hanging file must not matter to a read: were it imported, each command would wait this long.
const env = {
  ...process.env,
  UPDRAFT_HOME: home,
  UPDRAFT_DAGS_FOLDER: folder,
  UPDRAFT_DAG_IMPORT_TIMEOUT: args['import-timeout'],
  UPDRAFT_NO_BUILD: args.sources ? '1' : '',
};
const commands: string[][] = [
  ['dags', 'list'],
  ['dags', 'list', '-o', 'json'],
  ['dags', 'list-import-errors'],
  ['dags', 'show', 'bench_chain'],
  ['dags', 'list-runs', 'bench_chain'],
  ['dags', 'state', 'bench_chain', runId],
  ['dags', 'next-execution', 'bench_chain'],
  ['tasks', 'list', 'bench_chain'],
  ['tasks', 'states-for-dag-run', 'bench_chain', runId],
  ['tasks', 'state', 'bench_chain', 'train', runId],
  ['tasks', 'logs', 'bench_chain', runId, 'train'],
  ['models', 'list'],
];

const table = new Table({
  head: ['command', `median of ${repeats} (ms)`, 'min (ms)', 'max (ms)', `target ≤ ${TARGET_MS} ms`],
  style: { head: [], border: [] },
});
let over = 0;
let wentStale = 0;
for (const argv of commands) {
  ensureBuild();
  timeCommand(argv, env); // warm the OS file cache once
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const r = timeCommand(argv, env);
    if (!r.ok) throw new Error(`updraft ${argv.join(' ')} failed: ${r.stderr}`);
    times.push(r.ms);
  }
  const m = median(times);
  if (m > TARGET_MS) over++;
  const stale = useBuild && !currentBuild(REPO);
  if (stale) wentStale++;
  table.push([
    `updraft ${argv.join(' ')}`.replace(runId, '<run>') + (stale ? ' *' : ''),
    m.toFixed(0),
    Math.min(...times).toFixed(0),
    Math.max(...times).toFixed(0),
    m <= TARGET_MS ? 'ok' : 'OVER',
  ]);
}
const hang = args['no-hang'] ? 'no hanging DAG file' : 'a DAG file that hangs at import in the folder';
process.stdout.write(`\n(g) CLI read commands: ${RUNS} runs in the store, ${hang}; ${mode}; node ${process.version}\n`);
process.stdout.write(`${table.toString()}\n`);
if (wentStale > 0) process.stdout.write('* a source changed while this command was measured: some of its runs may have gone through tsx\n');
process.stdout.write(over === 0 ? `every read command within ${TARGET_MS} ms\n` : `${over} command(s) over ${TARGET_MS} ms\n`);
