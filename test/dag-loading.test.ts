import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { localDagFile, relativeFileloc } from '../engine/dag-processing/dag-file-location.ts';
import { parseDagFolder } from '../engine/dag-processing/dag-folder.ts';
import { syncDagFolder } from '../engine/dag-processing/sync.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { cliJson, dagFolderFrom, FIXTURES, runCli, tempDir } from './helpers/cli.ts';

type ImportErrorRow = { filepath: string; error: string };
type DagListRow = { dag_id: string; owners: string; schedule: string | null; is_paused: boolean; tags: string[] };

describe('DAG folder loading: each file isolated (broken-DAG behaviour)', () => {
  const broken = readdirSync(join(import.meta.dirname, 'fixtures', 'broken')).map((f) => `broken/${f}`);
  // A folder outside the repository: `import { dag } from 'updraft'` must resolve from anywhere.
  const folder = dagFolderFrom('features/good.ts', ...broken);
  const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAG_IMPORT_TIMEOUT: '15' }; // long enough for a good file on a loaded machine; hangs.ts never finishes
  let errors: Map<string, string>;

  before(async () => {
    const rows = await cliJson<ImportErrorRow[]>(['--dags-folder', folder, 'dags', 'list-import-errors'], env);
    errors = new Map(rows.map((r) => [r.filepath.split('/').pop()!, r.error]));
  });

  const expected: Record<string, RegExp> = {
    'cycle.ts': /DAG 'cyclic': cycle a -> b -> c -> a/,
    'duplicate_task.ts': /DAG 'dupe': duplicate task id 'same'/,
    'unknown_edge.ts': /DAG 'unknown_edge': task 'a' is linked to task 'ghost', which is not in this DAG/,
    'bad_id.ts': /bad DAG id "bad id!"/,
    'bad_cron.ts': /DAG 'bad_cron': bad cron '61 \* \* \* \*'/,
    'bad_duration.ts': /DAG 'bad_duration' defaultArgs retryDelay: bad duration '5 minutes'/,
    'bad_trigger_rule.ts': /DAG 'bad_rule' task 'a': unknown trigger rule 'all_sucess'/,
    'bad_isolation.ts': /DAG 'bad_isolation' task 'a': isolation must be 'none' or 'process', got 'thread'/,
    'syntax_error.ts': /syntax_error\.ts:2:\d+: ERROR/,
    // The line that threw, from the stack (the web UI marks it in the file).
    'throws.ts': /database credentials missing \(at line 1\)$/,
    'hangs.ts': /import timed out after 15s/,
  };
  for (const [file, pattern] of Object.entries(expected)) {
    it(`${file} becomes a one-line import error`, () => {
      const message = errors.get(file);
      assert.ok(message, `no import error for ${file}; got ${[...errors.keys()].join(', ')}`);
      assert.match(message, pattern);
      assert.ok(!message.includes('\n'), 'one line');
    });
  }

  it('the good DAG still loads beside the broken ones', async () => {
    const dags = await cliJson<DagListRow[]>(['--dags-folder', folder, 'dags', 'list'], env);
    assert.deepEqual(
      dags.map((d) => d.dag_id),
      ['good_dag'],
    );
    assert.equal(dags[0]!.owners, 'qa');
    assert.equal(dags[0]!.schedule, '@daily');
    assert.deepEqual(dags[0]!.tags, ['fixture']);
  });

  it('a DAG id defined in two files: both are import errors naming each other; the stray file does not replace the DAG', async () => {
    const twin = dagFolderFrom('features/good.ts');
    const env = { UPDRAFT_HOME: tempDir() };
    await cliJson(['--dags-folder', twin, 'dags', 'reserialize'], env);
    // A stray file defines the same DAG id, with no task at all.
    writeFileSync(join(twin, 'zz_twin.ts'), `import { dag } from 'updraft';\nexport default dag({ dagId: 'good_dag' });\n`);
    await cliJson(['--dags-folder', twin, 'dags', 'reserialize'], env);
    const rows = await cliJson<ImportErrorRow[]>(['--dags-folder', twin, 'dags', 'list-import-errors'], env);
    assert.deepEqual(rows.map((r) => r.filepath.split('/').pop()).sort(), ['good.ts', 'zz_twin.ts']);
    assert.match(rows.find((r) => r.filepath.endsWith('good.ts'))!.error, /DAG id 'good_dag' is also defined in zz_twin\.ts/);
    assert.match(rows.find((r) => r.filepath.endsWith('zz_twin.ts'))!.error, /DAG id 'good_dag' is also defined in good\.ts/);
    const shown = await cliJson<{ tasks: Array<{ taskId: string }> }>(['--dags-folder', twin, 'dags', 'show', 'good_dag'], env);
    assert.deepEqual(
      shown.tasks.map((t) => t.taskId),
      ['a', 'b'],
      'the last good version stays',
    );
    const test = await runCli(['--dags-folder', twin, 'dags', 'test', 'good_dag'], env);
    assert.equal(test.code, 1, 'no run with zero tasks "succeeds"');
    assert.match(
      test.stderr,
      /^updraft: error: DAG 'good_dag': its file .*good\.ts failed to import: DAG id 'good_dag' is also defined in zz_twin\.ts/,
    );
  });

  it('dags show prints tasks, edges and a drawing', async () => {
    const shown = await cliJson<{ tasks: Array<{ taskId: string }>; edges: string[][] }>(
      ['--dags-folder', folder, 'dags', 'show', 'good_dag'],
      env,
    );
    assert.deepEqual(
      shown.tasks.map((t) => t.taskId),
      ['a', 'b'],
    );
    assert.deepEqual(shown.edges, [['a', 'b']]);
    const text = await runCli(['--dags-folder', folder, 'dags', 'show', 'good_dag'], env);
    assert.match(text.stdout, /a \(function\)\n {2}└──> b/);
  });

  it('an unknown DAG is one clear line and exit 1, pointing at import errors', async () => {
    const r = await runCli(['--dags-folder', folder, 'dags', 'test', 'nope'], env);
    assert.equal(r.code, 1);
    // No file names 'nope': the whole folder is parsed, which the command announces first (issue 26).
    assert.match(
      r.stderr,
      /^updraft: DAG 'nope' is not in the store and no file in .* names it; parsing the whole folder .*\nupdraft: error: DAG 'nope' not found in .* \(11 file\(s\) failed to import: see 'updraft dags list-import-errors'\)\n$/,
    );
  });
});

describe("a DAG's file on another host (Airflow's relative_fileloc)", () => {
  it('the store records the path inside the DAG folder; a host finds the file in its own copy, else at the recorded path', async (t) => {
    const parsing = tempDir('updraft-dags-a-');
    mkdirSync(join(parsing, 'team'));
    cpSync(join(FIXTURES, 'features', 'good.ts'), join(parsing, 'team', 'good.ts'));
    const store = await openStoreWithPlugins({ home: tempDir() });
    t.after(() => store.close());
    await syncDagFolder(store, await parseDagFolder(parsing), new Date(), 'reserialize');
    const location = (await store.dags.location('good_dag'))!;
    assert.deepEqual([location.fileloc, location.relativeFileloc], [join(parsing, 'team', 'good.ts'), 'team/good.ts']);

    const otherHost = tempDir('updraft-dags-b-');
    assert.equal(localDagFile(location, otherHost), location.fileloc, "not in this host's folder: the recorded path");
    cpSync(parsing, otherHost, { recursive: true });
    assert.equal(localDagFile(location, otherHost), join(otherHost, 'team', 'good.ts'), "this host's own copy");
    assert.equal(relativeFileloc(parsing, join(tempDir(), 'elsewhere.ts')), null, 'outside the folder: no relative path');
  });

  it('a file broken on one host keeps the DAG that another host parsed at another path active (its last good version)', async (t) => {
    const hostA = tempDir('updraft-dags-a-');
    cpSync(join(FIXTURES, 'features', 'good.ts'), join(hostA, 'good.ts'));
    const store = await openStoreWithPlugins({ home: tempDir() });
    t.after(() => store.close());
    await syncDagFolder(store, await parseDagFolder(hostA), new Date(), 'reserialize');
    const hostB = tempDir('updraft-dags-b-');
    writeFileSync(join(hostB, 'good.ts'), 'export const broken = ;\n');
    const parse = await parseDagFolder(hostB);
    assert.equal(parse.importErrors.length, 1);
    await syncDagFolder(store, parse, new Date(), 'reserialize');
    assert.equal((await store.dags.get('good_dag'))?.isActive, true);
  });
});
