import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO, runCli, tempDir, type CliResult } from './helpers/cli.ts';

type Info = Array<{ setting: string; value: string | null; source: string }>;

/** HOME is a temporary folder (the fallback home is `$HOME/updraft`); empty variables count as unset. */
const isolated = (home: string): Record<string, string> => ({
  HOME: home,
  UPDRAFT_HOME: '',
  UPDRAFT_DAGS_FOLDER: '',
  UPDRAFT_DATABASE_URL: '',
  UPDRAFT_ARTIFACTS_URL: '',
});

const ok = (r: CliResult, what: string): string => {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
};

async function info(cwd: string, env: Record<string, string>): Promise<Record<string, { value: string | null; source: string }>> {
  const rows = JSON.parse(ok(await runCli(['info', '-o', 'json'], env, cwd), 'info')) as Info;
  return Object.fromEntries(rows.map((r) => [r.setting, { value: r.value, source: r.source }]));
}

/** A project made by `updraft init` in a fresh folder; returns the project folder and the environment used. */
async function initProject(): Promise<{ project: string; env: Record<string, string> }> {
  const parent = tempDir('updraft-init-');
  const env = isolated(tempDir('updraft-user-home-'));
  const out = ok(await runCli(['init', 'my-project'], env, parent), 'init');
  assert.match(out, /updraft dags test example_dag/, 'init prints next steps');
  return { project: join(parent, 'my-project'), env };
}

describe("the CLI from the user's own folder", () => {
  it("updraft init makes a project that the CLI finds from a subfolder, with its store in the project's .updraft/", async () => {
    const { project, env } = await initProject();
    for (const file of ['dags/example_dag.ts', 'package.json', 'tsconfig.json', 'updraft.config.json', '.gitignore'])
      assert.ok(existsSync(join(project, file)), file);
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.equal(pkg.dependencies.updraft, `file:${REPO}`, 'depends on this engine');

    const sub = join(project, 'dags', 'nested');
    mkdirSync(sub);
    const listed = JSON.parse(ok(await runCli(['dags', 'list', '-o', 'json'], env, sub), 'dags list')) as Array<{
      dag_id: string;
      is_paused: boolean;
    }>;
    assert.deepEqual(
      listed.map((d) => d.dag_id),
      ['example_dag'],
    );
    assert.ok(existsSync(join(project, '.updraft', 'updraft.db')), 'the store is in the project');
    assert.ok(!existsSync(join(sub, '.updraft')) && !existsSync(join(env.HOME!, 'updraft')), 'and nowhere else');

    const where = await info(sub, env);
    assert.equal(where.home!.value, join(project, '.updraft'));
    assert.equal(where.dags_folder!.value, join(project, 'dags'));
    assert.match(where.home!.source, /updraft\.config\.json/);

    const run = JSON.parse(ok(await runCli(['dags', 'test', 'example_dag', '-o', 'json'], env, sub), 'dags test')) as {
      state: string;
      task_instances: Array<{ task_id: string; state: string }>;
    };
    assert.equal(run.state, 'success');
    assert.deepEqual(run.task_instances.map((t) => `${t.task_id}:${t.state}`).sort(), ['count_letters:success', 'greet:success']);
  });

  it('an init project type-checks for an editor once npm has linked the engine', async () => {
    const { project } = await initProject();
    // What `npm install` does for a file: dependency: a symlink in node_modules.
    mkdirSync(join(project, 'node_modules'));
    symlinkSync(REPO, join(project, 'node_modules', 'updraft'), 'dir');
    const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const clean = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { encoding: 'utf8' });
    assert.equal(clean.status, 0, `tsc: ${clean.stdout}${clean.stderr}`);
    // The check is real: a wrong use of the API fails it.
    writeFileSync(join(project, 'dags', 'wrong.ts'), "import { dag } from 'updraft';\nexport default dag({ dagId: 42 });\n");
    const wrong = spawnSync(process.execPath, [tsc, '--noEmit', '-p', project], { encoding: 'utf8' });
    assert.notEqual(wrong.status, 0);
    assert.match(wrong.stdout, /wrong\.ts/);
  });

  it('updraft init never overwrites: one line naming the file, nothing written', async () => {
    const dir = tempDir('updraft-init-taken-');
    writeFileSync(join(dir, 'tsconfig.json'), '{}\n');
    const r = await runCli(['init', dir], isolated(tempDir()), dir);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `updraft: error: ${join(dir, 'tsconfig.json')} already exists; updraft init never overwrites a file (choose an empty folder)\n`,
    );
    assert.deepEqual(readdirSync(dir), ['tsconfig.json']);
    assert.equal(readFileSync(join(dir, 'tsconfig.json'), 'utf8'), '{}\n');
  });

  it('outside any project the home is ~/updraft; UPDRAFT_HOME wins over a project', async () => {
    const user = tempDir('updraft-user-home-');
    const elsewhere = tempDir('updraft-elsewhere-');
    const where = await info(elsewhere, isolated(user));
    assert.equal(where.home!.value, join(user, 'updraft'));
    assert.match(where.home!.source, /^default ~\/updraft/);
    assert.equal(where.dags_folder!.value, join(user, 'updraft', 'dags'));
    ok(await runCli(['dags', 'list'], isolated(user), elsewhere), 'dags list');
    assert.ok(existsSync(join(user, 'updraft', 'updraft.db')));
    assert.ok(!existsSync(join(elsewhere, '.updraft')));

    const { project, env } = await initProject();
    const explicit = tempDir('updraft-explicit-home-');
    const chosen = await info(project, { ...env, UPDRAFT_HOME: explicit });
    assert.equal(chosen.home!.value, explicit);
    assert.equal(chosen.home!.source, 'UPDRAFT_HOME');
    assert.equal(chosen.dags_folder!.value, join(project, 'dags'), 'the DAG folder still follows the project');
  });

  it('a bare .updraft/ marks a project too; a bad updraft.config file is one line naming it', async () => {
    const root = tempDir('updraft-bare-');
    mkdirSync(join(root, '.updraft'));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    const where = await info(join(root, 'a', 'b'), isolated(tempDir()));
    assert.equal(where.home!.value, join(root, '.updraft'));
    assert.equal(where.dags_folder!.value, join(root, 'dags'));
    assert.match(where.home!.source, /found \.updraft\//);

    const bad = tempDir('updraft-bad-config-');
    writeFileSync(join(bad, 'updraft.config.yaml'), 'dagFolder: dags\n');
    const r = await runCli(['dags', 'list'], isolated(tempDir()), bad);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(`^updraft: error: ${join(bad, 'updraft.config.yaml').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*dagFolder.*\\n$`),
    );
    const yaml = tempDir('updraft-yaml-config-');
    writeFileSync(join(yaml, 'updraft.config.yaml'), 'home: state\ndagsFolder: pipelines\n');
    const moved = await info(yaml, isolated(tempDir()));
    assert.equal(moved.home!.value, join(yaml, 'state'));
    assert.equal(moved.dags_folder!.value, join(yaml, 'pipelines'));
  });
});
