// Every name of the public API has TSDoc, and every optional option with a
// default says it with `@defaultValue` (issue 24, point 7). A source scan: no
// Redis, no database, no compiler API (the repo's TypeScript 7 ships none).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY_POINTS = ['engine/index.ts', 'operators/index.ts', 'ml/index.ts'];

interface PublicName {
  /** The name in the file that declares it (before any `as`). */
  name: string;
  file: string;
}

const strip = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

/** The names an index file exports, followed through `export *` into other index files. */
function publicNames(indexFile: string, seen = new Set<string>()): PublicName[] {
  if (seen.has(indexFile)) return [];
  seen.add(indexFile);
  const source = strip(readFileSync(join(root, indexFile), 'utf8'));
  const here = dirname(indexFile);
  const target = (spec: string) => relative(root, resolve(root, here, spec)).replaceAll('\\', '/');
  const names: PublicName[] = [];
  for (const m of source.matchAll(/export\s+\*\s+from\s+['"]([^'"]+)['"]/g)) names.push(...publicNames(target(m[1]!), seen));
  for (const m of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s*from\s+['"]([^'"]+)['"]/g)) {
    for (const part of m[1]!
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      names.push({
        name: part
          .replace(/^type\s+/, '')
          .split(/\s+as\s+/)[0]!
          .trim(),
        file: target(m[2]!),
      });
    }
  }
  return names;
}

interface Declaration {
  file: string;
  source: string;
  /** Offset of `export` in `source`. */
  at: number;
}

/** Every `export … name` declaration in `file` (a const and its companion type are two), followed through re-exports (engine/plugin-api.ts re-exports engine/index.ts's). */
function declarationsOf(file: string, name: string): Declaration[] {
  const source = readFileSync(join(root, file), 'utf8');
  const pattern = new RegExp(
    `^export\\s+(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:class|interface|type|function|const|let|enum)\\s+${name}\\b`,
    'gm',
  );
  const here = [...source.matchAll(pattern)].map((m) => ({ file, source, at: m.index }));
  if (here.length > 0) return here;
  const reexport = new RegExp(`export\\s+(?:type\\s+)?\\{[^}]*\\b${name}\\b(?!\\s+as\\b)[^}]*\\}\\s*from\\s+['"](\\.[^'"]+)['"]`).exec(
    source,
  );
  return reexport ? declarationsOf(relative(root, resolve(root, dirname(file), reexport[1]!)).replaceAll('\\', '/'), name) : [];
}

/** The interfaces `declaration` extends, found in its own file or through its imports. */
function basesOf({ file, source, at }: Declaration): Declaration[] {
  const header = source.slice(at, source.indexOf('{', at));
  const extendsList = /\bextends\s+([\s\S]+)$/.exec(header)?.[1] ?? '';
  const bases: Declaration[] = [];
  for (const base of extendsList
    .replace(/<[^>]*>/g, '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean)) {
    const local = declarationsOf(file, base);
    if (local.length > 0) {
      bases.push(...local);
      continue;
    }
    const imported = new RegExp(`import\\s+(?:type\\s+)?\\{[^}]*\\b${base}\\b[^}]*\\}\\s*from\\s+['"](\\.[^'"]+)['"]`).exec(source);
    if (imported) bases.push(...declarationsOf(relative(root, resolve(root, dirname(file), imported[1]!)).replaceAll('\\', '/'), base));
  }
  return bases;
}

const hasTsDoc = (before: string): boolean => /\/\*\*(?:(?!\*\/)[\s\S])*\*\/\s*$/.test(before);

/** Optional properties of the interface declared at `at` lacking `@defaultValue` in their TSDoc. */
function optionalsWithoutDefault(source: string, at: number): string[] {
  const open = source.indexOf('{', at);
  let depth = 0;
  let end = open;
  for (; end < source.length; end++) {
    if (source[end] === '{') depth++;
    else if (source[end] === '}' && --depth === 0) break;
  }
  const body = source.slice(open + 1, end);
  const missing: string[] = [];
  let level = 0;
  let lastDoc = '';
  for (let i = 0; i < body.length; i++) {
    if (body.startsWith('/**', i)) {
      const close = body.indexOf('*/', i);
      lastDoc = body.slice(i, close + 2);
      i = close + 1;
      continue;
    }
    const ch = body[i]!;
    if (ch === '>' && body[i - 1] === '=') continue; // an arrow, not a closing type argument
    if (ch === '{' || ch === '(' || ch === '<' || ch === '[') level++;
    else if (ch === '}' || ch === ')' || ch === '>' || ch === ']') level--;
    else if (level === 0 && ch === ';') lastDoc = '';
    if (level !== 0) continue;
    const property = /^(?:readonly\s+)?([A-Za-z_$][\w$]*)\?\s*:/.exec(body.slice(i));
    if (property && /[\s;{]/.test(body[i - 1] ?? ' ')) {
      if (!lastDoc.includes('@defaultValue')) missing.push(property[1]!);
      lastDoc = '';
      i += property[0].length - 1;
    }
  }
  return missing;
}

describe('public API documentation', () => {
  const seen = new Set<string>();
  const names = ENTRY_POINTS.flatMap((entry) => publicNames(entry)).filter(
    (n) => !seen.has(`${n.file}#${n.name}`) && seen.add(`${n.file}#${n.name}`),
  );

  it('finds the public names (the scan reads the index files)', () => {
    for (const expected of ['DagBuilder', 'dag', 'DagOptions', 'BashOperator', 'DriftCheckOperator', 'TaskFunction']) {
      assert.ok(
        names.some((n) => n.name === expected),
        `${expected} is exported`,
      );
    }
  });

  it('every exported name has a TSDoc comment where it is declared', () => {
    const problems: string[] = [];
    for (const { name, file } of names) {
      const found = declarationsOf(file, name);
      if (found.length === 0) problems.push(`${file}: no \`export … ${name}\` declaration found`);
      if (found.some((d) => !hasTsDoc(d.source.slice(0, d.at)))) problems.push(`${file}: ${name} has no TSDoc comment`);
    }
    assert.deepEqual(problems, []);
  });

  it('every optional property of an exported *Options / *Defaults interface (and of what it extends) states its @defaultValue', () => {
    const problems = new Set<string>();
    const visit = (declaration: Declaration, name: string): void => {
      if (!/^export\s+interface\b/.test(declaration.source.slice(declaration.at))) return;
      for (const property of optionalsWithoutDefault(declaration.source, declaration.at))
        problems.add(`${declaration.file}: ${name}.${property} has no @defaultValue`);
      for (const base of basesOf(declaration)) visit(base, /interface\s+(\w+)/.exec(base.source.slice(base.at))![1]!);
    };
    for (const { name, file } of names.filter((n) => /(?:Options|Defaults)$/.test(n.name))) {
      for (const declaration of declarationsOf(file, name)) visit(declaration, name);
    }
    assert.deepEqual([...problems], []);
  });

  it('the scan sees a missing @defaultValue, also in an interface that is extended', () => {
    const inherited = declarationsOf('ml/operators/drift-check-operator.ts', 'DriftCheckOptions').flatMap(basesOf);
    assert.deepEqual(inherited.map((d) => d.file).sort(), ['engine/models/interfaces.ts', 'ml/drift/drift-report.ts']);
    const source =
      'export interface XOptions {\n  /** Documented. @defaultValue `1` */\n  a?: number;\n  /** Callback. */\n  b?: (x: number) => void;\n  c?: string;\n}\n';
    assert.deepEqual(optionalsWithoutDefault(source, 0), ['b', 'c']);
  });
});
