#!/usr/bin/env node
// Runs the tests with Node's test runner, TypeScript through tsx (Node 20's --test does not glob .ts files itself).
//   node scripts/run-tests.mjs               every test/**/*.test.ts (what `npm test` and CI run)
//   node scripts/run-tests.mjs --unit        the fast tier: test/unit/ only, no Redis, PostgreSQL or browser
//   node scripts/run-tests.mjs dags-test     only files whose path contains "dags-test"
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const unit = args.includes('--unit');
const only = args.filter((a) => a !== '--unit');
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'fixtures') walk(p);
    else if (e.name.endsWith('.test.ts') && (only.length === 0 || only.some((o) => p.includes(o)))) files.push(p);
  }
};
walk(unit ? join('test', 'unit') : 'test');
if (files.length === 0) {
  console.error(`no test file matches ${only.map((o) => JSON.stringify(o)).join(', ')}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--import',
    './engine/runtime/register.mjs',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=240000',
    '--test-reporter=spec',
    ...files,
  ],
  // Test DAGs run when triggered without an unpause first (test/paused-at-creation.test.ts checks the real default).
  // The unit tier refuses services (test/helpers/tier.ts).
  {
    stdio: 'inherit',
    env: { UPDRAFT_DAGS_ARE_PAUSED_AT_CREATION: 'false', ...process.env, ...(unit ? { UPDRAFT_TEST_TIER: 'unit' } : {}) },
  },
);
process.exit(result.status ?? 1);
