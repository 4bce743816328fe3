#!/usr/bin/env node
// The `updraft` command. It runs the precompiled build in dist/ (`npm run
// build`; `npm ci` makes it) when that build is newer than every source file,
// and the TypeScript sources through tsx otherwise: a stale build never runs.
// UPDRAFT_NO_BUILD=1 forces the sources.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBuild, STAMP } from '../engine/runtime/build-stamp.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const build = process.env.UPDRAFT_NO_BUILD ? null : currentBuild(root);
if (!build && !process.env.UPDRAFT_NO_BUILD && process.stderr.isTTY && existsSync(join(root, 'dist', STAMP))) {
  // Only on a terminal: scripts and tests read stderr, and the sources give the same answers, only slower.
  process.stderr.write("updraft: dist/ is older than the sources, running them through tsx ('npm run build' makes it current)\n");
}
if (build) {
  // Read by engine/runtime/register.mjs when a command first imports a DAG file.
  globalThis[Symbol.for('updraft.compiled')] = build;
  process.setSourceMapsEnabled(true);
  await import(`${build.dist}engine/cli/main.js`);
} else {
  await import('../engine/runtime/register.mjs');
  await import('../engine/cli/main.ts');
}
