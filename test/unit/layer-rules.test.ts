// The layer gate bites: one planted violation of each kind of rule in a scratch tree, checked with the
// repo's own config (built from docs/architecture.md's table) by the same script CI runs.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'check-layers.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'updraft-layers-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(scratch, 'tree-'));
  writeFileSync(
    join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { allowImportingTsExtensions: true, module: 'NodeNext', noEmit: true } }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('each kind of rule bites, in one line naming both files; an allowed import passes', () => {
  const root = tree({
    // allowed: execution → store → models
    'engine/models/state.ts': "export const DONE = 'done';\n",
    'engine/store/repo.ts': "import { DONE } from '../models/state.ts';\nexport const read = () => DONE;\n",
    'engine/execution/finish.ts': "import { read } from '../store/repo.ts';\nexport const finish = () => read();\n",
    // a back-arrow: the store importing execution
    'engine/store/finish.ts': "import { finish } from '../execution/finish.ts';\nexport const x = finish;\n",
    // the engine importing the ML plugin
    'ml/forest.ts': 'export const trees = 3;\n',
    'engine/scheduler/loop.ts': "import { trees } from '../../ml/forest.ts';\nexport const n = trees;\n",
    // an operator importing the store, type-only
    'engine/store/store.ts': 'export interface Store { id: string }\n',
    'operators/sql.ts': "import type { Store } from '../engine/store/store.ts';\nexport const id = (s: Store) => s.id;\n",
    // a circle of type-only imports
    'engine/models/a.ts': "import type { B } from './b.ts';\nexport interface A { b?: B }\n",
    'engine/models/b.ts': "import type { A } from './a.ts';\nexport interface B { a?: A }\n",
  });
  const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  const lines = `${run.stdout}${run.stderr}`.trim().split('\n');
  const says = (start: string) =>
    assert.ok(
      lines.some((l) => l.startsWith(start)),
      `no line starting "${start}" in:\n${lines.join('\n')}`,
    );
  assert.equal(run.status, 1);
  says('engine/store/finish.ts → engine/execution/finish.ts: breaks "layer engine/store/"');
  says('engine/scheduler/loop.ts → ml/forest.ts: breaks "layer engine/scheduler/"');
  says('operators/sql.ts → engine/store/store.ts: breaks "layer operators/"');
  says('import circle: engine/models/');
  assert.ok(!lines.some((l) => l.startsWith('engine/execution/finish.ts →') || l.startsWith('engine/store/repo.ts →')), lines.join('\n'));
});
