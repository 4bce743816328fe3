#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's test runner, TypeScript through tsx.
// (Node 20's --test does not glob .ts files itself.)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const only = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'fixtures') walk(p);
    else if (e.name.endsWith('.test.ts') && (only.length === 0 || only.some((o) => p.includes(o)))) files.push(p);
  }
};
walk('test');
const result = spawnSync(
  process.execPath,
  ['--import', './engine/runtime/register.mjs', '--test', '--test-concurrency=2', '--test-timeout=240000', '--test-reporter=spec', ...files],
  // Test DAGs run when triggered without an unpause first (test/paused-at-creation.test.ts checks the real default).
  { stdio: 'inherit', env: { UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'false', ...process.env } },
);
process.exit(result.status ?? 1);
