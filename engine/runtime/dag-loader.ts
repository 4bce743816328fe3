/**
 * Makes this process able to import DAG files (TypeScript through tsx,
 * 'updraft' resolved to this checkout), once. A process started from the
 * sources already did it (bin/updraft.mjs, `--import register.mjs`); one
 * running the precompiled build does it here, on its first DAG import, so
 * that read commands never pay for tsx.
 */
export async function ensureDagLoader(): Promise<void> {
  if ((globalThis as Record<symbol, unknown>)[Symbol.for('updraft.dagLoader')]) return;
  // A URL, not a literal specifier: the build must not inline the loader.
  await import(new URL('./register.mjs', import.meta.url).href);
}
