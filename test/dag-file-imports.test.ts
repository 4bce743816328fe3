import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, tempDir, type CliResult } from './helpers/cli.ts';

// Issue 26, point 1: a command about one DAG imports that DAG's file only. The other
// files of the folder append their name to a marker file when imported, and one of
// them hangs: with an import timeout of an hour, a command that imported it would
// never finish (the spawn's own timeout then kills it and the test fails).
const folder = tempDir('updraft-dag-imports-');
const marker = join(tempDir('updraft-dag-imports-marker-'), 'imported.txt');
const home = tempDir('updraft-dag-imports-home-');
const children = new Set<ReturnType<typeof spawn>>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

writeFileSync(
  join(folder, 'target.ts'),
  `
import { dag } from 'updraft';
const d = dag({ dagId: 'target_dag' });
d.task('t1', () => 1);
export default d;
`,
);
writeFileSync(
  join(folder, 'other.ts'),
  `
import { appendFileSync } from 'node:fs';
import { dag } from 'updraft';
appendFileSync(${JSON.stringify(marker)}, 'other.ts\\n');
export const d = dag({ dagId: 'other_dag' });
d.empty('x');
`,
);
writeFileSync(
  join(folder, 'hangs.ts'),
  `
import { appendFileSync } from 'node:fs';
appendFileSync(${JSON.stringify(marker)}, 'hangs.ts\\n');
while (true) { /* never finishes importing */ }
`,
);
writeFileSync(
  join(folder, 'broken.ts'),
  `
import { dag } from 'updraft';
export const d = dag({ dagId: 'broken_dag' });
throw new Error('boom at import');
`,
);

const imported = (): string[] => (existsSync(marker) ? readFileSync(marker, 'utf8').trim().split('\n').filter(Boolean) : []);

function updraft(args: string[], importTimeoutSeconds = 3600): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, '--dags-folder', folder, ...args], {
      cwd: home,
      timeout: 90_000,
      env: {
        ...process.env,
        HOME: home,
        UPDRAFT_HOME: home,
        UPDRAFT_LOG_FORMAT: 'json',
        UPDRAFT_DAG_IMPORT_TIMEOUT: String(importTimeoutSeconds),
      },
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code, signal) => {
      children.delete(child);
      done({ code: code ?? -1, stdout, stderr: signal ? `${stderr}[killed by ${signal}: it waited on a file it does not need]` : stderr });
    });
  });
}

describe('a command about one DAG imports only its file (issue 26)', () => {
  it('dags test of a DAG the store does not know yet: found by the files naming it; no other file imported', {
    timeout: 120_000,
  }, async () => {
    const r = await updraft(['dags', 'test', 'target_dag', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).state, 'success');
    assert.deepEqual(imported(), []);
  });

  it('a DAG whose file fails to import shows that error, not "not found"', { timeout: 120_000 }, async () => {
    const r = await updraft(['dags', 'test', 'broken_dag']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /DAG 'broken_dag': its file .*broken\.ts failed to import: boom at import/);
    assert.deepEqual(imported(), []);
  });

  it('once the folder was parsed: tasks test imports only the recorded file, dags trigger of an unknown DAG answers from the store', {
    timeout: 120_000,
  }, async () => {
    // A parse of the whole folder, with a short timeout for the hanging file.
    const parsed = await updraft(['dags', 'reserialize'], 2);
    assert.equal(parsed.code, 0, parsed.stderr);
    rmSync(marker, { force: true });

    const task = await updraft(['tasks', 'test', 'target_dag', 't1']);
    assert.equal(task.code, 0, task.stderr);
    assert.match(task.stdout, /Task t1: success/);

    const nope = await updraft(['dags', 'trigger', 'nope_dag']);
    assert.equal(nope.code, 1);
    assert.match(nope.stderr, /DAG 'nope_dag' not found/);
    assert.equal(nope.stderr.trim().split('\n').length, 1, nope.stderr);
    assert.deepEqual(imported(), []);
  });

  it('dags report: every file with its import time, slowest first, its DAGs or its error', { timeout: 120_000 }, async () => {
    const r = await updraft(['dags', 'report', '-o', 'json'], 2);
    assert.equal(r.code, 0, r.stderr);
    const rows = JSON.parse(r.stdout) as Array<{
      file: string;
      duration_s: number;
      dag_num: number;
      task_num: number;
      dags: string;
      error: string | null;
    }>;
    assert.deepEqual(rows.map((row) => row.file).sort(), ['broken.ts', 'hangs.ts', 'other.ts', 'target.ts']);
    assert.deepEqual(
      rows.map((row) => row.duration_s),
      rows.map((row) => row.duration_s).sort((a, b) => b - a),
      'slowest first',
    );
    assert.equal(rows[0]!.file, 'hangs.ts', 'the file that hung for the whole timeout is the slowest');
    assert.match(rows[0]!.error ?? '', /timed out/);
    assert.deepEqual(
      rows.find((row) => row.file === 'target.ts'),
      { ...rows.find((row) => row.file === 'target.ts')!, dag_num: 1, task_num: 1, dags: 'target_dag', error: null },
    );
  });
});
