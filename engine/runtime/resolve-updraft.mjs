// Loader hook (runs on Node's loader thread).
// 1. `import ... from 'updraft'` resolves to this checkout's engine entry, 'updraft/<subpath>' (as
//    'updraft/ml') to what this checkout's package.json exports under that subpath.
// 2. A .ts file outside node_modules is always an ES module: DAG folders
//    usually have no package.json saying "type": "module", and tsx would
//    otherwise compile them as CommonJS, where this hook cannot reach 'updraft'.
// 3. In a process running the precompiled build, 'updraft' and any source file
//    the build compiles (build-stamp.mjs SOURCE_DIRS) resolve to their twins in dist/ (see register.mjs).
let entry = new URL('../index.ts', import.meta.url).href;
/** Resolving from here finds this checkout's package (self-reference), whose `exports` name the subpaths. */
const PACKAGE_JSON = new URL('../../package.json', import.meta.url).href;
/** `{ src, dist }`: file URLs of the checkout and of its build, or null when running the sources. */
let compiled = null;
const COMPILED_DIRS = /^(engine|ml|operators|workers)\/[^?#]*\.ts$/;

export function initialize(data) {
  if (!data?.compiled) return;
  compiled = data.compiled;
  entry = `${compiled.dist}engine/index.js`;
}

function compiledTwin(url) {
  if (!compiled || !url.startsWith(compiled.src)) return null;
  const path = url.slice(compiled.src.length);
  return COMPILED_DIRS.test(path) ? `${compiled.dist}${path.slice(0, -3)}.js` : null;
}

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'updraft') return { url: entry, shortCircuit: true, format: 'module' };
  // From the DAG file's folder, 'updraft/...' would find another installation or none.
  const resolved = await nextResolve(specifier, specifier.startsWith('updraft/') ? { ...context, parentURL: PACKAGE_JSON } : context);
  const twin = compiledTwin(resolved.url);
  if (twin) return { url: twin, shortCircuit: true, format: 'module' };
  if (/\.m?ts$/.test(new URL(resolved.url).pathname) && !resolved.url.includes('/node_modules/')) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
