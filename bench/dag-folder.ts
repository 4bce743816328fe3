// Bench (m): a DAG folder of many generated files (10 tasks each, every 10th importing a shared
// helper). CPU time, not wall time: the machines these run on are shared and busy.
//
//   npm run bench:dag-folder                      1,000 files
//   npm run bench:dag-folder -- --files 300       another count
//   npm run bench:dag-folder -- --bin <checkout>/bin/updraft.mjs   the CLI rows against another checkout
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { parseDagFolder } from '../engine/dag-processing/dag-folder.ts';
import { DagModuleCache } from '../engine/dag-processing/dag-module-cache.ts';
import { DagFileParseCache } from '../engine/dag-processing/file-parse-cache.ts';
import { DagParsePool } from '../engine/dag-processing/parse-pool.ts';
import { syncDagFolder } from '../engine/dag-processing/sync.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';

const REPO = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: { files: { type: 'string', default: '1000' }, bin: { type: 'string' }, 'worker-rss': { type: 'string' } },
});
const files = Number(args.files);
const bin = resolve(args.bin ?? join(REPO, 'bin', 'updraft.mjs'));

function dagFile(i: number): string {
  const shared = i % 10 === 0;
  return `import { chain, dag } from 'updraft';
${shared ? "import { TASKS } from './_shared.ts';" : 'const TASKS = 10;'}
const d = dag({ dagId: 'gen_${String(i).padStart(4, '0')}', schedule: '@daily', startDate: '2024-01-01', catchup: false });
chain(...Array.from({ length: TASKS }, (_, t) => d.task('t' + t, () => t)));
export default d;
`;
}

function writeFolder(count: number): string {
  const folder = mkdtempSync(join(tmpdir(), 'updraft-bench-folder-'));
  writeFileSync(join(folder, '_shared.ts'), 'export const TASKS = 10;\n');
  for (let i = 0; i < count; i++) writeFileSync(join(folder, `gen_${String(i).padStart(4, '0')}.ts`), dagFile(i));
  return folder;
}

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** CPU of waited-for children so far (cutime + cstime of /proc/self/stat), in ms. */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) / 100) * 1000;
}

function cli(argv: string[], env: NodeJS.ProcessEnv): { cpuMs: number; wallMs: number } {
  const cpu = childrenCpuMs();
  const began = performance.now();
  const r = spawnSync(process.execPath, [bin, ...argv], { env, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`updraft ${argv.join(' ')} failed: ${r.stderr}`);
  return { cpuMs: childrenCpuMs() - cpu, wallMs: performance.now() - began };
}

if (args['worker-rss']) {
  const rssMb = (): number => {
    (globalThis as { gc?: () => void }).gc?.();
    return process.memoryUsage().rss / 2 ** 20;
  };
  const modules = new DagModuleCache();
  const fileOf = (i: number): string => join(args['worker-rss']!, `gen_${String(i).padStart(4, '0')}.ts`);
  await modules.get('gen_0000', fileOf(0));
  const before = rssMb();
  for (let i = 1; i < files; i++) await modules.get(`gen_${String(i).padStart(4, '0')}`, fileOf(i));
  process.stdout.write(JSON.stringify({ before, after: rssMb() }));
  process.exit(0);
}

const folder = writeFolder(files);
const table = new Table({ head: ['(m) row', 'value', 'target'], style: { head: [], border: [] } });

// The scheduler's DAG processor: kept threads and the fingerprint cache.
const pool = new DagParsePool();
const cache = new DagFileParseCache();
let before = cpuMs();
let parse = await parseDagFolder(folder, { pool, cache });
if (parse.dags.size !== files)
  throw new Error(`expected ${files} DAGs, got ${parse.dags.size}: ${JSON.stringify(parse.importErrors.slice(0, 3))}`);
table.push([
  `first parse of ${files} files (CPU per file, this process and its threads)`,
  `${((cpuMs() - before) / files).toFixed(1)} ms`,
  '≤ 50 ms',
]);
before = cpuMs();
const cycles = 5;
for (let i = 0; i < cycles; i++) parse = await parseDagFolder(folder, { pool, cache });
table.push(['unchanged re-parse (CPU per file per parse cycle)', `${((cpuMs() - before) / files / cycles).toFixed(3)} ms`, '≤ 5 ms']);
writeFileSync(join(folder, 'gen_0001.ts'), dagFile(1).replace("d.task('t' + t, () => t)", "d.task('u' + t, () => t)"));
let began = performance.now();
before = cpuMs();
parse = await parseDagFolder(folder, { pool, cache });
table.push([
  'one changed file: the parse pass that picks it up (wall; the scheduler adds a 300 ms debounce)',
  `${(performance.now() - began).toFixed(0)} ms (${(cpuMs() - before).toFixed(0)} ms CPU)`,
  '≤ 5 s',
]);
writeFileSync(join(folder, '_shared.ts'), 'export const TASKS = 11;\n');
began = performance.now();
parse = await parseDagFolder(folder, { pool, cache });
const users = parse.fileStats.filter((s) => s.imported).length;
table.push([`changed helper: the pass re-imports its ${users} users (wall)`, `${(performance.now() - began).toFixed(0)} ms`, '—']);
await pool.close();

// The CLI: the store holds the folder's parse, as a scheduler would have written it.
const home = mkdtempSync(join(tmpdir(), 'updraft-bench-folder-home-'));
const store = await openStoreWithPlugins({ home });
await syncDagFolder(store, parse, new Date(), 'scheduler');
await store.close();
const env = { ...process.env, UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: folder, UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'false' };
const list = cli(['dags', 'list', '-o', 'json'], env);
table.push([`dags list (${files} DAGs in the store)`, `${list.wallMs.toFixed(0)} ms wall, ${list.cpuMs.toFixed(0)} ms CPU`, '—']);
const one = cli(['dags', 'test', 'gen_0005', '-o', 'json'], env);
const alone = mkdtempSync(join(tmpdir(), 'updraft-bench-alone-'));
mkdirSync(join(alone, 'dags'));
writeFileSync(join(alone, 'dags', 'gen_0005.ts'), dagFile(5));
const single = cli(['dags', 'test', 'gen_0005', '-o', 'json'], {
  ...env,
  UPDRAFT_HOME: join(alone, 'home'),
  UPDRAFT_DAGS_FOLDER: join(alone, 'dags'),
});
table.push([
  `dags test of one DAG: ${files}-file folder vs a folder of that file only (CPU)`,
  `${one.cpuMs.toFixed(0)} ms vs ${single.cpuMs.toFixed(0)} ms (${(one.cpuMs / single.cpuMs).toFixed(2)}×)`,
  '≤ 1.5×',
]);

// A worker that has run a task of every DAG holds every file in its DAG module cache (Node never unloads
// an ES module): measured in a fresh process, as a worker starts.
const measured = spawnSync(
  process.execPath,
  [
    '--expose-gc',
    '--import',
    join(REPO, 'engine', 'runtime', 'register.mjs'),
    import.meta.filename,
    '--worker-rss',
    folder,
    '--files',
    String(files),
  ],
  { encoding: 'utf8' },
);
if (measured.status !== 0) throw new Error(`worker RSS measurement failed: ${measured.stderr}`);
const rss = JSON.parse(measured.stdout) as { before: number; after: number };
table.push([
  `worker: RSS after importing one DAG file, then all ${files} (DAG module cache)`,
  `${rss.before.toFixed(0)} MB → ${rss.after.toFixed(0)} MB (${(((rss.after - rss.before) * 1024) / (files - 1)).toFixed(0)} KB per file)`,
  '—',
]);

process.stdout.write(
  `\n(m) a DAG folder of ${files} generated files of 10 tasks (every 10th imports a shared helper); node ${process.version}\n${table.toString()}\n`,
);
