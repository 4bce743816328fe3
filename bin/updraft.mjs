#!/usr/bin/env node
// The `updraft` command. It runs the precompiled build in dist/ (`npm run
// build`; `npm ci` makes it) when that build is newer than every source file,
// and the TypeScript sources through tsx otherwise: a stale build never runs.
// UPDRAFT_NO_BUILD=1 forces the sources.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBuild } from '../engine/runtime/build-stamp.mjs';

const build = process.env.UPDRAFT_NO_BUILD ? null : currentBuild(dirname(dirname(fileURLToPath(import.meta.url))));
if (build) {
  // Read by engine/runtime/register.mjs when a command first imports a DAG file.
  globalThis[Symbol.for('updraft.compiled')] = build;
  process.setSourceMapsEnabled(true);
  await import(`${build.dist}engine/cli/main.js`);
} else {
  await import('../engine/runtime/register.mjs');
  await import('../engine/cli/main.ts');
}
