// The README's Layout table is the newcomer's map: every place it names exists, and every folder of
// the tree (top level and engine/) is named in it.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
/** Not source: installed, generated or git-ignored. */
const NOT_SOURCE = new Set(['node_modules', 'dist', 'test-results', 'test-output', '.git', '.updraft']);

function layoutPlaces(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## Layout$/m)[1]?.split(/^## /m)[0];
  assert.ok(section, 'README.md has a "## Layout" section');
  const places: string[] = [];
  for (const line of section.split('\n')) {
    const first = line.split('|')[1];
    if (first === undefined || !line.startsWith('|')) continue;
    for (const m of first.matchAll(/`([^`]+)`/g)) places.push(m[1]!);
  }
  return places;
}

test('every place the README layout table names exists', () => {
  const missing = layoutPlaces().filter((p) => !NOT_SOURCE.has(p.replace(/\/$/, '')) && !existsSync(join(root, p)));
  assert.deepEqual(missing, []);
});

test('every source folder at the top level and under engine/ is in the README layout table', () => {
  const named = new Set(layoutPlaces().map((p) => p.replace(/\/$/, '')));
  const folders = (dir: string) =>
    readdirSync(join(root, dir), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !NOT_SOURCE.has(e.name))
      .map((e) => (dir ? `${dir}/${e.name}` : e.name));
  const unnamed = [...folders(''), ...folders('engine')].filter((f) => f !== 'engine' && !named.has(f));
  assert.deepEqual(unnamed, []);
});
