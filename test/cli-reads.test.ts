import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { currentBuild } from '../engine/runtime/build-stamp.mjs';
import { TestCluster } from './helpers/cluster.ts';
import { cliJson, dagFolderFrom, runCli, tempDir } from './helpers/cli.ts';
import { waitFor } from './helpers/processes.ts';

type DagListRow = { dag_id: string; last_parsed_at: string; folder_parsed_at: string | null; folder_parsed_by: string | null };
type ParseStatus = { folder: string; parsed_at: string; parsed_by: string; dag_count: number; import_error_count: number };

/** A folder with a good DAG and a file that never finishes importing. */
function folderWithHang(): string {
  const folder = dagFolderFrom('features/good.ts');
  writeFileSync(join(folder, 'hangs.ts'), 'while (true) { /* never finishes importing */ }\n');
  return folder;
}

// Each read below would wait this long for the hanging file if it imported the folder.
const NEVER = { UPDRAFT_DAG_IMPORT_TIMEOUT: '600' };

// ADR 12, docs/adr/0012-readers-read-the-store.md
describe('CLI read commands read the store (ADR 12)', () => {
  it('with a hanging DAG file in the folder, reads answer from what the last parse recorded', { timeout: 120_000 }, async () => {
    const folder = folderWithHang();
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder };
    const parsed = await cliJson<ParseStatus>(['dags', 'reserialize'], { ...env, UPDRAFT_DAG_IMPORT_TIMEOUT: '15' }); // a good file parses well within it even on a loaded machine
    assert.deepEqual([parsed.parsed_by, parsed.dag_count, parsed.import_error_count], ['reserialize', 1, 1]);

    const dags = await cliJson<DagListRow[]>(['dags', 'list'], { ...env, ...NEVER });
    assert.deepEqual(
      dags.map((d) => d.dag_id),
      ['good_dag'],
    );
    const errors = await cliJson<Array<{ filepath: string; error: string }>>(['dags', 'list-import-errors'], { ...env, ...NEVER });
    assert.deepEqual(
      errors.map((e) => e.filepath),
      [join(folder, 'hangs.ts')],
    );
    assert.match(errors[0]!.error, /import timed out after 15s/);
    const shown = await cliJson<{ tasks: Array<{ taskId: string }> }>(['dags', 'show', 'good_dag'], { ...env, ...NEVER });
    assert.deepEqual(
      shown.tasks.map((t) => t.taskId),
      ['a', 'b'],
    );
    const tasks = await cliJson<Array<{ task_id: string }>>(['tasks', 'list', 'good_dag'], { ...env, ...NEVER });
    assert.deepEqual(
      tasks.map((t) => t.task_id),
      ['a', 'b'],
    );
    assert.deepEqual(await cliJson(['dags', 'list-runs', 'good_dag'], { ...env, ...NEVER }), []);
    const next = await cliJson<{ next_logical_date: string | null }>(['dags', 'next-execution', 'good_dag'], { ...env, ...NEVER });
    assert.ok(next.next_logical_date);
  });

  it('a folder the store has never seen parsed is parsed once, on the first command, and says so in one line', async () => {
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: dagFolderFrom('features/good.ts') };
    const first = await runCli(['dags', 'list', '-o', 'json'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /^updraft: DAG folder .* has never been parsed into the store; parsing it now \(as 'updraft dags reserialize'\)\n$/,
    );
    assert.deepEqual(
      (JSON.parse(first.stdout) as DagListRow[]).map((d) => d.dag_id),
      ['good_dag'],
    );
    const second = await runCli(['dags', 'list', '-o', 'json'], env);
    assert.deepEqual([second.code, second.stderr], [0, '']);
  });

  it('dags reserialize picks up a new file; until then reads show the last parse', async () => {
    const folder = dagFolderFrom('features/good.ts');
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folder };
    await cliJson(['dags', 'reserialize'], env);
    writeFileSync(
      join(folder, 'late.ts'),
      `import { dag } from 'updraft';\nconst d = dag({ dagId: 'late_dag' });\nd.empty('only');\nexport default d;\n`,
    );
    const before = await cliJson<DagListRow[]>(['dags', 'list'], env);
    assert.deepEqual(
      before.map((d) => d.dag_id),
      ['good_dag'],
    );

    const missing = await runCli(['dags', 'list-runs', 'late_dag'], env);
    assert.equal(missing.code, 1);
    assert.match(
      missing.stderr,
      /^updraft: error: DAG 'late_dag' not found in .* as last parsed at \S+ by reserialize; 'updraft dags reserialize' parses the folder now\n$/,
    );

    const parsed = await cliJson<ParseStatus>(['dags', 'reserialize'], env);
    assert.deepEqual([parsed.parsed_by, parsed.dag_count, parsed.import_error_count], ['reserialize', 2, 0]);
    const after = await cliJson<DagListRow[]>(['dags', 'list'], env);
    assert.deepEqual(
      after.map((d) => d.dag_id),
      ['good_dag', 'late_dag'],
    );
    assert.ok(after.every((d) => d.folder_parsed_at === parsed.parsed_at && d.folder_parsed_by === 'reserialize'));
  });

  it('dags list tells when the scheduler last parsed the folder: a stderr line under the table, fields in JSON', {
    timeout: 120_000,
  }, async (t) => {
    const cluster = await TestCluster.start(dagFolderFrom('features/good.ts'));
    t.after(() => cluster.stop());
    cluster.scheduler();
    const rows = await waitFor('the scheduler to parse the folder', async () => {
      const r = await runCli(['dags', 'list', '-o', 'json'], cluster.env);
      const dags = r.code === 0 ? (JSON.parse(r.stdout) as DagListRow[]) : [];
      return dags[0]?.folder_parsed_by === 'scheduler' ? dags : undefined;
    });
    assert.deepEqual(
      rows.map((d) => d.dag_id),
      ['good_dag'],
    );
    assert.ok(!Number.isNaN(Date.parse(rows[0]!.folder_parsed_at ?? '')));
    assert.ok(!Number.isNaN(Date.parse(rows[0]!.last_parsed_at)));

    const table = await runCli(['dags', 'list'], cluster.env);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /│ good_dag /);
    assert.match(
      table.stderr,
      /^DAG folder \S+ last parsed \S+ \(\d+ (s|min|h|d) ago\) by scheduler on \S+ in \d+\.\d s: 1 DAG\(s\), 0 import error\(s\)\n$/,
    );
  });

  it('a read from where the DAG folder does not exist shows the store and changes nothing in it', async () => {
    const home = tempDir();
    await cliJson(['dags', 'reserialize'], { UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: dagFolderFrom('features/good.ts') });
    const elsewhere = { UPDRAFT_HOME: home, UPDRAFT_DAGS_FOLDER: join(tempDir(), 'no-such-folder') };
    const listed = await runCli(['dags', 'list'], elsewhere);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /│ good_dag /);
    assert.match(listed.stderr, /^DAG folder .*no-such-folder does not exist here and was never parsed into this store\n$/);
    const shown = await runCli(['dags', 'show', 'nope'], elsewhere);
    assert.equal(shown.code, 1);
    assert.match(
      shown.stderr,
      /^updraft: error: DAG 'nope' not found: the store has none by that id and there is no DAG folder .*no-such-folder here/,
    );
    const again = await cliJson<DagListRow[]>(['dags', 'list'], elsewhere);
    assert.deepEqual(
      again.map((d) => [d.dag_id, d.folder_parsed_at]),
      [['good_dag', null]],
    );
  });

  it('reads of runs never parse, and an unknown run is one line, exit 1', async () => {
    const env = { UPDRAFT_HOME: tempDir(), UPDRAFT_DAGS_FOLDER: folderWithHang(), ...NEVER };
    for (const args of [
      ['dags', 'state', 'good_dag', 'nope'],
      ['tasks', 'states-for-dag-run', 'good_dag', 'nope'],
      ['tasks', 'logs', 'good_dag', 'nope', 'a'],
    ]) {
      const r = await runCli(args, env);
      assert.deepEqual([r.code, r.stderr], [1, "updraft: error: DAG 'good_dag' has no run 'nope'\n"], args.join(' '));
    }
  });
});

describe('the precompiled build never runs stale', () => {
  /** A fake checkout: one source file a minute old and a build stamped as scripts/build.mjs does (its start, less a second of clock slack). */
  function checkout(builtAt = Date.now() - 1000): string {
    const root = tempDir('updraft-build-');
    mkdirSync(join(root, 'engine'), { recursive: true });
    mkdirSync(join(root, 'dist'), { recursive: true });
    writeFileSync(join(root, 'engine', 'a.ts'), 'export {};\n');
    const old = new Date(builtAt - 60_000);
    utimesSync(join(root, 'engine', 'a.ts'), old, old);
    utimesSync(join(root, 'engine'), old, old);
    writeFileSync(join(root, 'dist', 'build.json'), JSON.stringify({ root, builtAt }));
    return root;
  }

  it('runs a build newer than every source', () => {
    const root = checkout();
    assert.deepEqual(currentBuild(root), { src: `file://${root}/`, dist: `file://${root}/dist/` });
  });

  it('not once a source is saved after the build, a file is added, or the checkout moved', () => {
    const edited = checkout();
    writeFileSync(join(edited, 'engine', 'a.ts'), 'export const a = 1;\n');
    assert.equal(currentBuild(edited), null);

    const added = checkout();
    writeFileSync(join(added, 'engine', 'b.ts'), 'export {};\n');
    utimesSync(join(added, 'engine', 'b.ts'), new Date(0), new Date(0));
    assert.equal(currentBuild(added), null, 'the folder changed');

    const moved = checkout();
    writeFileSync(join(moved, 'dist', 'build.json'), JSON.stringify({ root: '/elsewhere', builtAt: Date.now() - 1000 }));
    assert.equal(currentBuild(moved), null);
  });

  it('not when there is no build', () => {
    assert.equal(currentBuild(tempDir('updraft-build-')), null);
  });
});
