import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDagFolder } from '../engine/dag-processing/dag-folder.ts';
import { DagParsePool } from '../engine/dag-processing/parse-pool.ts';
import { dagFolderFrom, tempDir } from './helpers/cli.ts';

describe('a parse thread has a heap limit; a file that exhausts it is retried with back-off until it changes', () => {
  it('exceeding UPDRAFT_DAG_PARSE_HEAP_MB is an import error; the unchanged file is not imported again until its back-off ends, a changed one at once', async (t) => {
    const folder = dagFolderFrom('features/good.ts');
    const imports = join(tempDir('updraft-heap-'), 'imports.log');
    writeFileSync(imports, '');
    const hog = join(folder, 'hog.ts');
    // Counts its imports, then allocates until its thread dies.
    writeFileSync(
      hog,
      `
import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(imports)}, 'x');
const hoard: number[][] = [];
for (;;) hoard.push(new Array(100_000).fill(hoard.length));
`,
    );
    const previous = process.env.UPDRAFT_DAG_PARSE_HEAP_MB;
    process.env.UPDRAFT_DAG_PARSE_HEAP_MB = '64';
    let now = 1_000_000;
    const pool = new DagParsePool({ heapRetryMs: 60_000, now: () => now });
    t.after(async () => {
      if (previous === undefined) delete process.env.UPDRAFT_DAG_PARSE_HEAP_MB;
      else process.env.UPDRAFT_DAG_PARSE_HEAP_MB = previous;
      await pool.close();
    });
    const importCount = (): number => readFileSync(imports, 'utf8').length;
    const parse = async (): Promise<string | undefined> => {
      const result = await parseDagFolder(folder, { pool, timeoutMs: 60_000 });
      assert.ok(result.dags.has('good_dag'), 'the other file still loads');
      return result.importErrors.find((e) => e.filename === hog)?.message;
    };

    assert.equal(
      await parse(),
      'import exceeded the parse heap limit of 64 MB (UPDRAFT_DAG_PARSE_HEAP_MB); imported again when the file changes, else in 60 s',
    );
    assert.equal(importCount(), 1);
    now += 59_000;
    assert.match((await parse()) ?? '', /^import exceeded the parse heap limit of 64 MB/, 'still an import error');
    assert.equal(importCount(), 1, 'unchanged and within its back-off: not imported again');
    now += 2_000;
    assert.match((await parse()) ?? '', /else in 120 s$/, 'imported again after the back-off, which doubles');
    assert.equal(importCount(), 2);
    appendFileSync(hog, '// edited\n');
    assert.match((await parse()) ?? '', /else in 60 s$/, 'a changed file starts afresh');
    assert.equal(importCount(), 3);
  });
});
