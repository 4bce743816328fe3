import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO, runCli, tempDir } from './helpers/cli.ts';

const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };

describe('the updraft command itself', () => {
  it('updraft --version and updraft version print the package version', async () => {
    for (const args of [['--version'], ['-V'], ['version']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0);
      assert.equal(r.stdout, `${version}\n`);
    }
    // A subcommand's own --version option is not the program's.
    const predict = await runCli(['models', 'predict', 'nope', 'in.csv', '--version', '2'], { UPDRAFT_HOME: tempDir() });
    assert.equal(predict.code, 1);
    assert.doesNotMatch(predict.stdout, new RegExp(version.replaceAll('.', '\\.')));
  });

  it("commander's own errors are one line with the updraft: error: prefix, exit 1", async () => {
    const r = await runCli(['dags', 'lisst']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^updraft: error: unknown command 'lisst' \(Did you mean list\?\)\n$/);
    const missing = await runCli(['dags', 'state']);
    assert.match(missing.stderr, /^updraft: error: missing required argument 'dag_id'\n$/);
  });

  it('updraft completion bash completes commands, subcommands and options in a real bash', async () => {
    const script = await runCli(['completion', 'bash']);
    assert.equal(script.code, 0);
    const file = join(tempDir(), 'completion.bash');
    writeFileSync(file, script.stdout);
    const complete = (...words: string[]): string => {
      const r = spawnSync(
        'bash',
        [
          '-c',
          `source ${file}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _updraft; echo "\${COMPREPLY[*]}"`,
        ],
        { encoding: 'utf8' },
      );
      return r.stdout.trim();
    };
    assert.equal(complete('updraft', 'dags', 'list-r'), 'list-runs');
    assert.match(complete('updraft', 'ta'), /^tasks$/);
    assert.equal(
      complete('updraft', '--dags-folder', 'dags', 'tasks', 'states-for-dag-run', 'my_dag', 'run1', '--o'),
      '--output',
      'positional arguments and option values are skipped',
    );
    const bad = await runCli(['completion', 'fish']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^updraft: error: completion: shell must be 'bash' or 'zsh', got 'fish'\n$/);
  });
});
