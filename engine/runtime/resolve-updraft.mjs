// Loader hook (runs on Node's loader thread).
// 1. `import ... from 'updraft'` resolves to this checkout's engine entry.
// 2. A .ts file outside node_modules is always an ES module: DAG folders
//    usually have no package.json saying "type": "module", and tsx would
//    otherwise compile them as CommonJS, where this hook cannot reach 'updraft'.
const ENTRY = new URL('../index.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'updraft') return { url: ENTRY, shortCircuit: true, format: 'module' };
  const resolved = await nextResolve(specifier, context);
  if (/\.m?ts$/.test(new URL(resolved.url).pathname) && !resolved.url.includes('/node_modules/')) {
    return { ...resolved, format: 'module' };
  }
  return resolved;
}
