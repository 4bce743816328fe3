#!/usr/bin/env node
// The layer gate: dependency-cruiser with the rules of docs/architecture.md's table.
// Prints one line per violation naming both files and the rule, and exits non-zero on any.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cwd = process.argv[2] ?? root;
const bin = join(root, 'tools', 'layers', 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
if (!existsSync(bin)) {
  console.error('layer check: dependency-cruiser is not installed; run `npm ci --prefix tools/layers` (see CONTRIBUTING.md)');
  process.exit(2);
}
const places = ['engine', 'operators', 'workers', 'ml', 'dags', 'bench', 'scripts'].filter((p) => existsSync(join(cwd, p)));
const run = spawnSync(process.execPath, [bin, '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json', ...places], {
  cwd,
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
if (run.status === null || (run.stdout ?? '').trim() === '') {
  console.error(`layer check: dependency-cruiser failed: ${(run.stderr ?? '').trim().split('\n')[0]}`);
  process.exit(2);
}
const result = JSON.parse(run.stdout);
const seen = new Set();
for (const v of result.summary.violations) {
  const line =
    v.rule.name === 'no-circular'
      ? `import circle: ${[v.from, ...(v.cycle ?? []).map((c) => c.name ?? c)].join(' → ')}`
      : `${v.from} → ${v.to}: breaks "${v.rule.name}" (${result.summary.ruleSetUsed?.forbidden?.find((r) => r.name === v.rule.name)?.comment ?? ''})`;
  if (seen.has(line)) continue;
  seen.add(line);
  console.error(line);
}
if (seen.size > 0) {
  console.error(`layer check: ${seen.size} violation(s) of docs/architecture.md`);
  process.exit(1);
}
console.log(`layer check: ${result.summary.totalCruised} modules, no violation of docs/architecture.md`);
