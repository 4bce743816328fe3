// The layer rules are the table in docs/architecture.md (between the layers:begin / layers:end
// markers): this file turns each row into one dependency-cruiser rule, so the table is the rule.
// The check runs on a tools-only TypeScript 5 (tools/layers/), whose compiler API dependency-cruiser
// needs to see type-only imports; see docs/adr/0019-toolchain-for-gates.md.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

/** Every top-level place of ours an import can reach. */
const OURS = '^(engine|operators|workers|ml|dags|bench|scripts|tools|test)/';
const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** `engine/store/` → a folder prefix; `engine/index.ts` → exactly that file. */
const pathPattern = (place) => (place.endsWith('/') ? `^${escapeRegExp(place)}` : `^${escapeRegExp(place)}$`);

function readLayerTable() {
  const doc = readFileSync(join(__dirname, 'docs', 'architecture.md'), 'utf8');
  const table = doc.split('<!-- layers:begin -->')[1]?.split('<!-- layers:end -->')[0];
  if (table === undefined) throw new Error('docs/architecture.md: the layers:begin / layers:end markers are missing');
  const rows = [];
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const place = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (place === undefined) continue;
    const allowed = [...(cells[2] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    rows.push({ place, allowed });
  }
  return rows;
}

const rows = readLayerTable();
/** Folders nested in another row's folder (none today) would need "most specific wins"; files do: */
const layerRules = rows.map(({ place, allowed }) => {
  // A file row (e.g. engine/index.ts) is carved out of no folder row: no folder row covers engine/ itself.
  const mayReach = [place, ...allowed].map(pathPattern).join('|');
  return {
    name: `layer ${place}`,
    comment: `docs/architecture.md: ${place} may import ${allowed.length ? allowed.join(', ') : 'nothing of ours'}`,
    severity: 'error',
    from: { path: pathPattern(place) },
    to: { path: OURS, pathNot: mayReach },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'docs/architecture.md: no file is part of an import circle (type-only imports count)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|test/fixtures|tools/layers/node_modules)' },
    enhancedResolveOptions: { extensions: ['.ts', '.mts', '.mjs', '.js'], conditionNames: ['import', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: false } },
  },
};
