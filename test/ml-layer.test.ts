import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { FIXTURES, runCli, tempDir } from './helpers/cli.ts';
import mlPlugin from '../ml/plugin.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { createWebserver } from '../engine/webserver/server.ts';

const ROOT = resolve(import.meta.dirname, '..');
// Static imports and re-exports only: a dynamic import() is loaded when called, not at parse.
const STATIC_IMPORT = /^\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'|^\s*import\s+'([^']+)'/gm;

/** Every module a plain `import` of `entry` loads: relative files (from the root) and bare packages. */
function importClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    const rel = relative(ROOT, file);
    if (files.has(rel)) return;
    files.add(rel);
    for (const m of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const specifier = m[1] ?? m[2]!;
      if (/^import\s+type\s/.test(m[0].trim()) || /^export\s+type\s/.test(m[0].trim())) continue;
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier));
      else packages.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!);
    }
  };
  visit(join(ROOT, entry));
  return { files, packages };
}

describe('ML is a layer on the engine', () => {
  it("`import { dag } from 'updraft'` loads no ML, statistics or CSV code", () => {
    const { files, packages } = importClosure('engine/index.ts');
    assert.ok(files.has('operators/bash-operator.ts'), 'the closure is followed (sanity)');
    assert.deepEqual(
      [...files].filter((f) => f.startsWith('ml/')),
      [],
    );
    for (const heavy of ['csv-parse', 'simple-statistics', 'ml-random-forest', 'ml-cart'])
      assert.ok(!packages.has(heavy), `${heavy} is loaded by 'updraft'`);
  });

  it("'updraft/ml' gives DAG files the drift operator", () => {
    const { files, packages } = importClosure('ml/index.ts');
    assert.ok(files.has('ml/operators/drift-check-operator.ts'));
    assert.ok(packages.has('csv-parse'));
  });

  it('ml/ imports nothing of ours but engine/plugin-api.ts, type-only imports included', () => {
    const files = readdirSync(join(ROOT, 'ml'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|mjs)$/.test(e.name))
      .map((e) => join(e.parentPath, e.name));
    assert.ok(files.length > 50, 'the scan sees ml/ (sanity)');
    const SPECIFIER = /\bfrom\s+'(\.[^']+)'|\bimport\s*\(\s*'(\.[^']+)'\s*\)|^\s*import\s+'(\.[^']+)'/gm;
    const offenders = files.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(SPECIFIER)]
        .map((m) => relative(ROOT, resolve(dirname(file), m[1] ?? m[2] ?? m[3]!)))
        .filter((target) => !target.startsWith('ml/') && target !== 'engine/plugin-api.ts')
        .map((target) => `${relative(ROOT, file)} → ${target}`),
    );
    assert.deepEqual(offenders, []);
  });

  it('the plugin API stays light: importing it loads no store, database driver or DAG builder', () => {
    const { files, packages } = importClosure('engine/plugin-api.ts');
    assert.ok(files.has('engine/models/errors.ts'), 'the closure is followed (sanity)');
    for (const heavy of ['kysely', 'pg', 'better-sqlite3', 'graphology', 'pino', 'fastify'])
      assert.ok(!packages.has(heavy), `${heavy} is loaded by engine/plugin-api.ts`);
    assert.deepEqual(
      [...files].filter((f) => f.startsWith('engine/store/') || f === 'operators/dag-builder.ts'),
      [],
    );
  });

  it('no file under engine/ imports or names ml/ (the ML layer plugs in, engine/plugins)', () => {
    const files = readdirSync(join(ROOT, 'engine'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && /\.(ts|m?js|html|css)$/.test(e.name))
      .map((e) => join(e.parentPath, e.name));
    assert.ok(files.length > 100, 'the scan sees the engine (sanity)');
    const offenders = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ at: `${relative(ROOT, file)}:${i + 1}`, line }))
        .filter(({ line }) => /(^|[^a-z_])ml\/|['"`]\.\.\/(\.\.\/)*ml['"`]/.test(line)),
    );
    assert.deepEqual(offenders, []);
  });
});

/** A project folder whose updraft.config.json says `config`. */
function project(config: object): string {
  const dir = tempDir('updraft-plugins-');
  writeFileSync(join(dir, 'updraft.config.json'), `${JSON.stringify(config)}\n`);
  return dir;
}

/** The names of the migrations a SQLite store ran, and the columns of `table`. */
function storeFacts(db: string, table: string): { migrations: string[]; columns: string[] } {
  const sqlite = new SQLite(db, { readonly: true });
  try {
    const migrations = (sqlite.prepare('select name from kysely_migration order by name').all() as Array<{ name: string }>).map(
      (r) => r.name,
    );
    const columns = (sqlite.prepare(`pragma table_info(${table})`).all() as Array<{ name: string }>).map((r) => r.name);
    return { migrations, columns };
  } finally {
    sqlite.close();
  }
}

describe('the ML plugin (updraft.config.json "plugins")', () => {
  it('`models`, `drift` and `predictions` come from the plugin the config names', async () => {
    const dir = project({ plugins: ['updraft/ml'] });
    writeFileSync(join(dir, 'a.csv'), 'x,c\n1,a\n2,b\n3,a\n4,b\n');
    const models = await runCli(['models', 'list', '-o', 'json'], {}, dir);
    assert.equal(models.code, 0, models.stderr);
    assert.deepEqual(JSON.parse(models.stdout), []);
    const drift = await runCli(['drift', 'a.csv', 'a.csv', '-o', 'json'], {}, dir);
    assert.equal(drift.code, 0, drift.stderr);
    assert.equal((JSON.parse(drift.stdout) as { drift: boolean }).drift, false);
    const accuracy = await runCli(['predictions', 'accuracy', 'churn', '-o', 'json'], {}, dir);
    assert.equal(accuracy.code, 0, accuracy.stderr);
    assert.equal((JSON.parse(accuracy.stdout) as { predictions: number }).predictions, 0);
  });

  it('without it there are no ML commands and no ML tables; enabling it later adds them', async () => {
    const dir = project({ plugins: [] });
    const models = await runCli(['models', 'list'], {}, dir);
    assert.equal(models.code, 1);
    assert.match(models.stderr, /unknown command 'models'.*"plugins" of updraft\.config\.json/);
    assert.equal((await runCli(['dags', 'list'], {}, dir)).code, 0);
    const db = join(dir, '.updraft', 'updraft.db');
    assert.ok(!storeFacts(db, 'model_version').migrations.includes('003-model-registry'));
    writeFileSync(join(dir, 'updraft.config.json'), '{ "plugins": ["updraft/ml"] }\n');
    const later = await runCli(['models', 'list', '-o', 'json'], {}, dir);
    assert.equal(later.code, 0, later.stderr);
    const facts = storeFacts(db, 'model_version');
    assert.ok(facts.migrations.includes('003-model-registry') && facts.migrations.includes('017-model-artifact-uri'));
    assert.ok(
      facts.columns.includes('artifact_uri') && facts.columns.includes('record') && !facts.columns.includes('artifact_path'),
      facts.columns.join(),
    );
  });

  it('a plugin that cannot be loaded is a one-line error naming it and the config file', async () => {
    const dir = project({ plugins: ['updraft/ml', 'updraft-plugin-missing'] });
    const r = await runCli(['dags', 'list'], {}, dir);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^updraft: error: plugin 'updraft-plugin-missing' \(named in .*updraft\.config\.json\) cannot be loaded: /);
  });

  it('a store from before the plugins (ML migrations in the engine list) opens with the plugin and without it', async () => {
    const home = tempDir('updraft-old-store-');
    const db = join(home, 'updraft.db');
    const sqlite = new SQLite(db);
    sqlite.exec(readFileSync(join(FIXTURES, 'old-layout-store', 'updraft.sql'), 'utf8'));
    sqlite.close();
    const env = { UPDRAFT_HOME: home };

    const without = await runCli(['dags', 'list', '-o', 'json'], env, project({ plugins: [] }));
    assert.equal(without.code, 0, without.stderr);
    const withIt = await runCli(['models', 'versions', 'fraud', '-o', 'json'], env, project({ plugins: ['updraft/ml'] }));
    assert.equal(withIt.code, 0, withIt.stderr);
    const [version] = JSON.parse(withIt.stdout) as Array<{ version: number; artifact_uri: string }>;
    assert.deepEqual([version?.version, version?.artifact_uri], [1, 'file:///nowhere/fraud-v1.json']);
    const facts = storeFacts(db, 'model_version');
    assert.equal(facts.migrations.filter((m) => m === '009-artifacts').length, 1);
    assert.ok(facts.migrations.includes('017-model-artifact-uri'), 'the moved half of 009 is recorded, and found nothing to do');
    // And once more without: the plugin's newer migration is only recorded, never a reason to refuse.
    assert.equal((await runCli(['dags', 'list'], env, project({ plugins: [] }))).code, 0);
  });

  it("the webserver serves the plugin's routes and pages, and none without it", async () => {
    for (const plugins of [[], [mlPlugin]]) {
      const store = await openStoreWithPlugins({ home: tempDir(), plugins });
      const app = await createWebserver({ store, plugins });
      try {
        const ui = (await app.inject('/api/v1/ui/plugins')).json() as {
          pages: Array<{ path: string; module: string; nav: string | null }>;
        };
        const models = await app.inject('/api/v1/models');
        const page = await app.inject({ url: '/models', headers: { accept: 'text/html' } });
        if (plugins.length === 0) {
          assert.deepEqual([ui.pages, models.statusCode, page.statusCode], [[], 404, 404]);
        } else {
          assert.deepEqual(
            ui.pages.map((p) => [p.path, p.nav]),
            [
              ['/models', 'Models'],
              ['/drift_reports', 'Drift'],
            ],
          );
          assert.deepEqual([models.statusCode, page.statusCode], [200, 200]);
          assert.equal((await app.inject(ui.pages[0]!.module)).statusCode, 200, 'the page module is served');
        }
      } finally {
        await app.close();
        await store.close();
      }
    }
  });
});
