import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';

/** `import … from './x'`, `export … from '../y'`, `import './z'`, `import('./w')`: a specifier written as a relative or absolute path. */
const PATH_SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)(['"])((?:\.{1,2}\/|\/)[^'"\n]+)\1/g;

/** What a specifier without its own extension may name (TypeScript and Node's resolution). */
const CANDIDATE_SUFFIXES = ['', '.ts', '.mts', '.js', '.mjs', '/index.ts', '/index.js'];

function resolveLocal(specifier: string, fromFile: string): string | null {
  const bare = specifier.split(/[?#]/)[0]!;
  const base = isAbsolute(bare) ? bare : resolve(dirname(fromFile), bare);
  // './x.js' in TypeScript names './x.ts'.
  const swapped = /\.m?js$/.test(base) ? [base.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts')] : [];
  for (const candidate of [...CANDIDATE_SUFFIXES.map((suffix) => base + suffix), ...swapped]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/**
 * The local modules `file` imports, directly or through each other (not
 * itself, not packages): read from the source text, so a helper's change can
 * re-import every DAG file that uses it without importing anything to find
 * out. An import whose path is computed at run time is not seen; such a file
 * is refreshed when it changes itself (or by UPDRAFT_DAG_FILE_REFRESH_INTERVAL).
 */
export function localImports(file: string): string[] {
  const seen = new Set<string>([file]);
  const pending = [file];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let text: string;
    try {
      text = readFileSync(current, 'utf8');
    } catch {
      continue;
    }
    for (const match of text.matchAll(PATH_SPECIFIER)) {
      const found = resolveLocal(match[2]!, current);
      if (found && !found.includes('/node_modules/') && !seen.has(found)) {
        seen.add(found);
        pending.push(found);
      }
    }
  }
  seen.delete(file);
  return [...seen].sort();
}
