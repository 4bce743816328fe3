#!/usr/bin/env node
// `npm run build` (and `prepare`, so `npm ci` does it): compiles engine/, ml/,
// operators/ and workers/ file by file into dist/ with esbuild, so that the
// `updraft` command starts without loading tsx (a read command in ~0.15 s
// instead of ~0.8 s). bin/updraft.mjs runs dist/ only while it is newer than
// every source (engine/runtime/build-stamp.mjs); otherwise it runs the sources.
//
// File by file, not one bundle: a DAG file that imports an engine module by
// path ('../ml/pipeline/...ts') gets, through the loader hook, that module's
// compiled twin, the same instance the process already uses (class identity
// for instanceof checks on errors and operators).
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SOURCE_DIRS, STAMP } from '../engine/runtime/build-stamp.mjs';

const root = resolve(import.meta.dirname, '..');
// esbuild comes with tsx (a dependency): no dependency of our own to keep in step.
const esbuild = createRequire(createRequire(join(root, 'package.json')).resolve('tsx/package.json'))('esbuild');

/** Slack for coarse file-system clocks: a source saved just before the build counts as newer (the safe side). */
const CLOCK_SLACK_MS = 1000;

const tsFiles = (dir) =>
  readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath ?? e.path, e.name));

/**
 * Packages compiled into one file each under dist/vendor/: kysely is ~280
 * ES modules, and resolving them one by one took a read command ~0.1 s.
 */
const VENDORED = ['kysely'];
const VENDORED_FILTER = new RegExp(`^(${VENDORED.join('|')})$`);

/**
 * Keeps every module its own file: relative imports stay imports (of the
 * .js twin), packages stay in node_modules. And `import.meta.url` /
 * `import.meta.dirname` keep naming the source file, so the files a module
 * finds beside itself (the parse thread, the isolated-try child, the web UI,
 * the forest threads) are the sources, exactly as when running through tsx.
 */
const perFile = {
  name: 'updraft-per-file',
  setup(build) {
    build.onResolve({ filter: VENDORED_FILTER }, (args) => {
      const from = dirname(relative(root, args.importer));
      return { path: relative(from, `vendor/${args.path}.js`), external: true };
    });
    build.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (!args.path.endsWith('.ts')) return { path: args.path, external: true };
      return { path: args.path.replace(/\.ts$/, '.js'), external: true };
    });
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8')
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
        .replaceAll('import.meta.filename', JSON.stringify(args.path));
      return { contents: source, loader: 'ts' };
    });
  },
};

/** Compiles into `staging`: our modules file by file, then the vendored packages. */
async function compile(staging, entryPoints) {
  const common = { outdir: staging, bundle: true, format: 'esm', platform: 'node', target: 'node20', logLevel: 'warning' };
  await esbuild.build({ ...common, entryPoints, outbase: root, packages: 'external', plugins: [perFile], sourcemap: 'linked' });
  await esbuild.build({
    ...common,
    entryPoints: Object.fromEntries(VENDORED.map((name) => [`vendor/${name}`, name])),
    absWorkingDir: root,
  });
}

// Sources saved after this instant make the build stale (engine/runtime/build-stamp.mjs).
const builtAt = Date.now() - CLOCK_SLACK_MS;
const started = performance.now();
const dist = join(root, 'dist');
const staging = join(root, `.dist-${process.pid}`);
const entryPoints = SOURCE_DIRS.flatMap(tsFiles);
// `--optional` (the `prepare` script): a source that does not compile yet must
// not fail `npm install`; without a current build `updraft` runs the sources.
const optional = process.argv.includes('--optional');
try {
  await compile(staging, entryPoints);
} catch (error) {
  rmSync(staging, { recursive: true, force: true });
  console.error(
    `updraft: build failed${optional ? '; `updraft` will run the TypeScript sources through tsx' : ''}: ${error.message.split('\n')[0]}`,
  );
  process.exit(optional ? 0 : 1);
}
writeFileSync(join(staging, 'package.json'), '{ "type": "module" }\n');
writeFileSync(join(staging, STAMP), `${JSON.stringify({ root, builtAt, modules: entryPoints.length }, null, 2)}\n`);
// Swap in by rename: a concurrent `updraft` sees the old build, none (and runs the sources), or the new one.
const old = join(root, `.dist-old-${process.pid}`);
try {
  renameSync(dist, old);
} catch {
  // no previous build
}
renameSync(staging, dist);
rmSync(old, { recursive: true, force: true });
console.log(`updraft: compiled ${entryPoints.length} modules into dist/ in ${Math.round(performance.now() - started)} ms`);
