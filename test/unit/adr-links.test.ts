// Code cites architecture decisions by their record: "ADR 11, docs/adr/0011-….md". A bare "decision 11"
// (the record's number without the record) or a link to a record that does not exist fails here.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..', '..');
const PLACES = ['engine', 'operators', 'workers', 'ml', 'dags', 'bench', 'scripts', 'test'];

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'fixtures') yield* sources(p);
    } else if (/\.(ts|mts|mjs|js)$/.test(e.name)) yield p;
  }
}

test('every decision cited in code names its record, and the record exists', () => {
  const bare: string[] = [];
  const broken: string[] = [];
  for (const place of PLACES) {
    for (const file of sources(join(root, place))) {
      if (file === import.meta.filename) continue;
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        const where = `${relative(root, file)}:${i + 1}`;
        if (/\b(ARCHITECTURE )?[Dd]ecision \d+\b/.test(line)) bare.push(where);
        for (const m of line.matchAll(/docs\/adr\/[\w.-]+\.md/g)) if (!existsSync(join(root, m[0]))) broken.push(`${where} ${m[0]}`);
      });
    }
  }
  assert.deepEqual(bare, [], 'write "ADR N, docs/adr/NNNN-….md" instead of "decision N"');
  assert.deepEqual(broken, []);
});
