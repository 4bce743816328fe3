import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LocalArtifactStore } from '../engine/artifacts/local-artifact-store.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import { churnRows } from '../ml/demo/synthetic-data.ts';
import { ModelRegistry } from '../ml/registry/model-registry.ts';
import { cliJson, runCli, tempDir } from './helpers/cli.ts';

async function registryWithVersions(home: string, name: string, count: number): Promise<void> {
  const store = await openStoreWithPlugins({ home });
  const registry = new ModelRegistry(store);
  // Promotion reads the artifact first (a deploy), so each version gets a real one, where the CLI looks.
  const artifacts = new LocalArtifactStore({ root: join(home, 'artifacts') });
  for (let i = 1; i <= count; i++) {
    const { uri } = await artifacts.put(`models/${name}/run-${i}/model.json`, JSON.stringify({ features: [], classes: [] }));
    await registry.register(name, uri, { accuracy: 0.8 + i / 100 }, null);
  }
  await store.close();
}

describe('model registry', () => {
  it('two processes promoting at once: exactly one production version, a consistent history', async () => {
    const home = tempDir();
    await registryWithVersions(home, 'churn', 2);
    const env = { UPDRAFT_HOME: home };
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all([
        runCli(['models', 'promote', 'churn', '1'], env),
        runCli(['models', 'promote', 'churn', '2'], env),
      ]);
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      const versions = await cliJson<Array<{ version: number; stage: string }>>(['models', 'versions', 'churn'], env);
      assert.equal(versions.filter((v) => v.stage === 'Production').length, 1, JSON.stringify(versions));
      const history = await cliJson<Array<{ version: number; ended_at: string | null }>>(['models', 'history', 'churn'], env);
      assert.equal(history.filter((h) => h.ended_at === null).length, 1, 'one open production period');
      assert.equal(history.at(-1)!.version, versions.find((v) => v.stage === 'Production')!.version);
    }
  });

  it('rollback restores the previous production version in one step; versions auto-increment', async () => {
    const home = tempDir();
    await registryWithVersions(home, 'fraud', 3);
    const env = { UPDRAFT_HOME: home };
    await cliJson(['models', 'promote', 'fraud', '1'], env);
    await cliJson(['models', 'promote', 'fraud', '3'], env);
    const rolled = await cliJson<{ current: number; previous: number }>(['models', 'rollback', 'fraud'], env);
    assert.deepEqual([rolled.current, rolled.previous], [1, 3]);
    const versions = await cliJson<Array<{ version: number; stage: string }>>(['models', 'versions', 'fraud'], env);
    assert.deepEqual(
      versions.map((v) => [v.version, v.stage]),
      [
        [1, 'Production'],
        [2, 'None'],
        [3, 'Archived'],
      ],
    );
    const aliases = await (async () => {
      const s = await openStoreWithPlugins({ home });
      try {
        return await new ModelRegistry(s).aliases('fraud');
      } finally {
        await s.close();
      }
    })();
    assert.deepEqual(aliases, { champion: 1 });
  });

  it('bad names and unknown models are one-line errors', async () => {
    const home = tempDir();
    for (const [args, pattern] of [
      [['models', 'promote', '../etc', '1'], /bad model name '\.\.\/etc'/],
      [['models', 'versions', 'a/b'], /bad model name 'a\/b'/],
      [['models', 'history', 'ghost'], /no registered model 'ghost'/],
      [['models', 'rollback', 'ghost'], /no registered model 'ghost'/],
    ] as Array<[string[], RegExp]>) {
      const r = await runCli(args, { UPDRAFT_HOME: home });
      assert.equal(r.code, 1);
      assert.match(r.stderr, pattern);
    }
  });

  it('models show: a trained version pins its record (no DAG, no gate); an older version shows none', async () => {
    const home = tempDir();
    const env = { UPDRAFT_HOME: home };
    await registryWithVersions(home, 'churn', 1);
    const data = join(home, 'train.csv');
    writeFileSync(data, churnRows(300, 5));
    const trained = await cliJson<{ version: number; tracking_run_id: string; artifact_uri: string }>(
      ['models', 'train', 'churn', '--data', data, '--target', 'churned', '--trees', '5'],
      env,
    );
    // biome-ignore lint/suspicious/noExplicitAny: the version record is free-form JSON; the assertions below read it field by field
    const shown = await cliJson<{ version: number; stage: string; record: Record<string, any> }>(
      ['models', 'show', 'churn', String(trained.version)],
      env,
    );
    assert.deepEqual([shown.version, shown.stage], [2, 'None']);
    const r = shown.record;
    assert.deepEqual([r.dag, r.gate, r.tracking_run_id, r.model_uri], [null, null, trained.tracking_run_id, trained.artifact_uri]);
    assert.deepEqual(r.data.sha256, createHash('sha256').update(readFileSync(data)).digest('hex'));
    assert.deepEqual([r.data.n_train, r.data.n_test], [240, 60]);
    assert.equal(r.feature_schema.features.length, 6);
    assert.deepEqual([r.params.trees, r.params.data], [5, data]);
    assert.match(r.calibrator.uri, /^file:\/\/.+\/calibrator\.json$/);
    assert.equal((await cliJson<{ record: null }>(['models', 'show', 'churn', '1'], env)).record, null);
    assert.match((await runCli(['models', 'show', 'churn', '1'], env)).stdout, /no pinned record/);
  });
});
