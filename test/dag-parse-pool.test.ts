import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseDagFolder } from '../engine/dag-processing/dag-folder.ts';
import { DagFileParseCache } from '../engine/dag-processing/file-parse-cache.ts';
import { DagParsePool } from '../engine/dag-processing/parse-pool.ts';
import { dagFolderFrom, tempDir } from './helpers/cli.ts';

const taskIds = (parse: Awaited<ReturnType<typeof parseDagFolder>>, dagId: string): string[] =>
  parse.dags.get(dagId)?.spec.tasks.map((t) => t.taskId) ?? [];

// The scheduler's DAG processor keeps its parse threads between parses; these
// are the guarantees a thread per file gave, kept with pooled threads.
describe('DAG parse pool: threads reused across parses, each parse evaluates the files afresh', () => {
  const pool = new DagParsePool();
  after(() => pool.close());

  it('a DAG built from data read at import sees the new data on the next parse (Airflow re-parses every file)', async () => {
    const folder = tempDir('updraft-pool-dags-');
    const data = join(tempDir('updraft-pool-data-'), 'tables.json');
    writeFileSync(data, JSON.stringify(['a', 'b']));
    writeFileSync(
      join(folder, 'dynamic.ts'),
      `
import { readFileSync } from 'node:fs';
import { dag } from 'updraft';
export const d = dag({ dagId: 'dynamic' });
for (const t of JSON.parse(readFileSync(${JSON.stringify(data)}, 'utf8'))) d.empty('load_' + t);
`,
    );
    assert.deepEqual(taskIds(await parseDagFolder(folder, { pool }), 'dynamic'), ['load_a', 'load_b']);
    writeFileSync(data, JSON.stringify(['a', 'b', 'c']));
    assert.deepEqual(taskIds(await parseDagFolder(folder, { pool }), 'dynamic'), ['load_a', 'load_b', 'load_c']);
  });

  it('a helper module the DAG file imports is cached by a thread until the pool retires it (the scheduler does on any change in the folder)', async () => {
    const folder = tempDir('updraft-pool-dags-');
    writeFileSync(join(folder, '_helper.ts'), `export const TASKS = ['x'];\n`);
    writeFileSync(
      join(folder, 'uses_helper.ts'),
      `
import { dag } from 'updraft';
import { TASKS } from './_helper.ts';
export const d = dag({ dagId: 'uses_helper' });
for (const t of TASKS) d.empty(t);
`,
    );
    const own = new DagParsePool();
    try {
      assert.deepEqual(taskIds(await parseDagFolder(folder, { pool: own, concurrency: 1 }), 'uses_helper'), ['x']);
      writeFileSync(join(folder, '_helper.ts'), `export const TASKS = ['x', 'y'];\n`);
      own.retire();
      assert.deepEqual(taskIds(await parseDagFolder(folder, { pool: own, concurrency: 1 }), 'uses_helper'), ['x', 'y']);
    } finally {
      await own.close();
    }
  });

  it('a hanging or throwing file is an import error and the good file still loads, parse after parse', async () => {
    const folder = dagFolderFrom('features/good.ts', 'broken/hangs.ts', 'broken/throws.ts', 'broken/syntax_error.ts');
    for (let round = 0; round < 2; round++) {
      const parse = await parseDagFolder(folder, { pool, timeoutMs: 15_000 });
      const errors = new Map(parse.importErrors.map((e) => [e.filename.split('/').pop(), e.message]));
      assert.match(errors.get('hangs.ts') ?? '', /import timed out after 15s/, `round ${round}`);
      assert.match(errors.get('throws.ts') ?? '', /database credentials missing \(at line 1\)$/, `round ${round}`);
      assert.match(errors.get('syntax_error.ts') ?? '', /syntax_error\.ts:2:\d+: ERROR/, `round ${round}`);
      assert.equal(parse.files.length, 1, `round ${round}: only good.ts loads`);
      assert.ok(parse.dags.size > 0, `round ${round}: good.ts defines its DAGs`);
    }
  });

  it('a file that calls process.exit at import is an import error, not the end of the parse', async () => {
    const folder = dagFolderFrom('features/good.ts');
    writeFileSync(join(folder, 'exits.ts'), `process.exit(7);\n`);
    const parse = await parseDagFolder(folder, { pool });
    assert.deepEqual(
      parse.importErrors.map((e) => [e.filename.split('/').pop(), e.message]),
      [['exits.ts', 'file exited the process with code 7 at import']],
    );
    assert.equal(parse.files.length, 1);
  });

  it('a timer in a DAG file that throws after the import ends only its idle thread; the next parse works', async () => {
    const folder = dagFolderFrom('features/good.ts');
    writeFileSync(
      join(folder, 'late_throw.ts'),
      `
import { dag } from 'updraft';
export const d = dag({ dagId: 'late_throw' });
d.empty('a');
setTimeout(() => { throw new Error('thrown after the import'); }, 100);
`,
    );
    const first = await parseDagFolder(folder, { pool, concurrency: 1 });
    assert.ok(first.dags.has('late_throw'));
    await new Promise((r) => setTimeout(r, 400));
    const second = await parseDagFolder(folder, { pool, concurrency: 1 });
    assert.ok(second.dags.has('late_throw'), 'parsed again in a new thread');
    assert.equal(second.importErrors.length, 0);
  });
});

// Issue 26, point 2: the scheduler's re-parse imports only what changed. Each DAG file appends its
// name to a marker file when imported, so the marker counts imports.
describe('DAG parse cache: an unchanged file is not imported again, a changed helper re-imports its users', () => {
  const pool = new DagParsePool();
  after(() => pool.close());

  function folderWithMarker(): { folder: string; imports: () => string[] } {
    const folder = tempDir('updraft-cache-dags-');
    const marker = join(tempDir('updraft-cache-marker-'), 'imported.txt');
    const counting = (name: string, body: string): void =>
      writeFileSync(
        join(folder, name),
        `
import { appendFileSync } from 'node:fs';
import { dag } from 'updraft';
appendFileSync(${JSON.stringify(marker)}, '${name}\\n');
${body}
`,
      );
    writeFileSync(join(folder, '_helper.ts'), `export const TASKS = ['x'];\n`);
    counting(
      'uses_helper.ts',
      `import { TASKS } from './_helper.ts';\nexport const d = dag({ dagId: 'uses_helper' });\nfor (const t of TASKS) d.empty(t);`,
    );
    counting('alone.ts', `export const d = dag({ dagId: 'alone' });\nd.empty('a');`);
    const imports = (): string[] => (existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n').sort() : []);
    return { folder, imports };
  }

  it('an unchanged folder triggers no import on re-parse, and gives the same DAGs', async () => {
    const { folder, imports } = folderWithMarker();
    const cache = new DagFileParseCache();
    const first = await parseDagFolder(folder, { pool, cache });
    assert.deepEqual(imports(), ['alone.ts', 'uses_helper.ts']);
    const second = await parseDagFolder(folder, { pool, cache });
    assert.deepEqual(imports(), ['alone.ts', 'uses_helper.ts'], 'nothing imported again');
    assert.deepEqual([...second.dags.keys()].sort(), [...first.dags.keys()].sort());
  });

  it('a change to a helper module re-imports every file that imports it (with the new helper), and only those', async () => {
    const { folder, imports } = folderWithMarker();
    const cache = new DagFileParseCache();
    await parseDagFolder(folder, { pool, cache });
    writeFileSync(join(folder, '_helper.ts'), `export const TASKS = ['x', 'y'];\n`);
    const parse = await parseDagFolder(folder, { pool, cache });
    assert.deepEqual(imports(), ['alone.ts', 'uses_helper.ts', 'uses_helper.ts']);
    assert.deepEqual(taskIds(parse, 'uses_helper'), ['x', 'y']);
  });

  it('a file that timed out is imported again on the next parse (a timeout may not recur); one that threw is not', async () => {
    const { folder, imports } = folderWithMarker();
    const marker = join(tempDir('updraft-cache-marker-'), 'hung.txt');
    writeFileSync(
      join(folder, 'hangs.ts'),
      `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(marker)}, 'x');\nwhile (true) {}\n`,
    );
    writeFileSync(
      join(folder, 'throws.ts'),
      `import { dag } from 'updraft';\nexport const d = dag({ dagId: 'throws' });\nthrow new Error('no');\n`,
    );
    const cache = new DagFileParseCache();
    for (let round = 0; round < 2; round++) {
      const parse = await parseDagFolder(folder, { pool, cache, timeoutMs: 1000 });
      const stats = new Map(parse.fileStats.map((stat) => [stat.file.split('/').pop(), stat]));
      assert.equal(stats.get('hangs.ts')?.imported, true, `round ${round}: hangs.ts imported`);
      assert.equal(stats.get('throws.ts')?.imported, round === 0, `round ${round}: throws.ts imported only the first time`);
    }
    assert.equal(readFileSync(marker, 'utf8'), 'xx');
    assert.deepEqual(imports(), ['alone.ts', 'uses_helper.ts']);
  });
});
