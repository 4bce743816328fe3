import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');
// Static imports and re-exports only: a dynamic import() is loaded when called, not at parse.
const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** Every module a plain `import` of `entry` loads: relative files (from the root) and bare packages. */
function importClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    const rel = relative(ROOT, file);
    if (files.has(rel)) return;
    files.add(rel);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const specifier = m[1] ?? m[2]!;
      if (/^import\s+type\s/.test(m[0].trim()) || /^export\s+type\s/.test(m[0].trim())) continue;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  };
  visit(join(ROOT, entry));
  return { files, packages };
}

describe('ML is a layer on the engine', () => {
  it("`import { dag } from 'updraft'` loads no ML, statistics or CSV code", () => {
    const { files, packages } = importClosure('engine/index.ts');
    assert.ok(files.has('operators/bash-operator.ts'), 'the closure is followed (sanity)');
    assert.deepEqual([...files].filter((f) => f.startsWith('ml/')), []);
    for (const heavy of ['csv-parse', 'simple-statistics', 'ml-random-forest', 'ml-cart']) assert.ok(!packages.has(heavy), `${heavy} is loaded by 'updraft'`);
  });

  it("'updraft/ml' gives DAG files the drift operator", () => {
    const { files, packages } = importClosure('ml/index.ts');
    assert.ok(files.has('ml/operators/drift-check-operator.ts'));
    assert.ok(packages.has('csv-parse'));
  });
});
