import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalArtifactStore } from '../engine/artifacts/local-artifact-store.ts';
import { openStoreWithPlugins } from '../engine/plugins/open-store.ts';
import type { Store } from '../engine/store/store.ts';
import { churnRows, writeChurnData } from '../ml/demo/synthetic-data.ts';
import { DataValidationError } from '../ml/errors.ts';
import mlPlugin from '../ml/plugin.ts';
import { validateCandidate, type CandidateValidation } from '../ml/pipeline/validate-candidate.ts';
import { GateDecisions } from '../ml/registry/gate-decisions.ts';
import { ModelRegistry } from '../ml/registry/model-registry.ts';
import { versionRecord } from '../ml/registry/version-record.ts';
import { datasetFromBytes, stratifiedSplit } from '../ml/training/dataset.ts';
import { schemaOf } from '../ml/training/feature-schema.ts';
import { readModel, scoreOnRows, trainModel, type TrainResult } from '../ml/training/train-model.ts';
import { validationGate } from '../ml/training/validation-gate.ts';
import { runCli, tempDir } from './helpers/cli.ts';
import { DAGS, pipelineDagsTest, taskStates } from './helpers/ml-pipeline.ts';

/** Data rows (no header) of the synthetic churn set: same distribution whatever the seed. */
const rowsOf = (n: number, seed: number): string[] => churnRows(n, seed).trim().split('\n');
const HEADER = rowsOf(1, 1)[0]!;

describe("the validation gate scores champion and candidate on rows neither trained on, and keeps the champion's schema", () => {
  let home: string;
  let store: Store;
  let artifacts: LocalArtifactStore;
  const log: string[] = [];
  const csv = (name: string, rows: readonly string[], header = HEADER): string => {
    const file = join(home, name);
    writeFileSync(file, `${[header, ...rows].join('\n')}\n`);
    return file;
  };
  const train = (model: string, data: string, seed: number, trees = 10, maxDepth?: number): Promise<TrainResult> =>
    trainModel(store, artifacts, { model, data, target: 'churned', trees, seed, maxDepth });
  /** Registers and promotes, as deploy_model does. */
  const promote = async (model: string, trained: TrainResult): Promise<number> => {
    const registry = new ModelRegistry(store);
    const v = await registry.register(
      model,
      trained.artifactUri,
      trained.metrics,
      trained.runId,
      new Date(),
      versionRecord(trained, null, null),
    );
    await registry.promote(model, v.version);
    return v.version;
  };
  const validate = (model: string, trained: TrainResult, trainFile: string, options: Partial<CandidateValidation> = {}) =>
    validateCandidate(
      store,
      artifacts,
      {
        model,
        trained,
        trainFile,
        allowSchemaChange: false,
        dagRunId: null,
        policy: 'not_worse',
        minAccuracy: 0.7,
        minPrecision: 0.7,
        alpha: 0.05,
        resamples: 500,
        seed: 42,
        minHoldoutRows: 200,
        ...options,
      },
      { warn: (m) => log.push(m) },
    );

  // One pool of labelled rows; the champion trains on its first 1000.
  const pool = rowsOf(2500, 21);
  let champion: TrainResult;
  before(async () => {
    home = tempDir('updraft-honest-gate-');
    store = await openStoreWithPlugins({ home, plugins: [mlPlugin] });
    artifacts = new LocalArtifactStore({ root: join(home, 'artifacts') });
    champion = await train('churn', csv('v1.csv', pool.slice(1, 1001)), 1);
    await promote('churn', champion);
  });
  after(() => store.close());

  it("same distribution, another seed, training data overlapping the champion's: not rejected under not_worse (the old holdout rejected it)", async () => {
    // The champion's 1000 rows again, and 1500 new ones, split with another seed.
    const file = csv('overlap.csv', [...pool.slice(1, 1001), ...rowsOf(1501, 22).slice(1)]);
    const challenger = await train('churn', file, 2);
    const result = await validate('churn', challenger, file);
    const holdout = result.gate.holdout!;
    assert.equal(result.gate.passed, true, result.gate.reasons.join('; '));
    assert.equal(holdout.test_rows, 500);
    assert.ok(holdout.trained_by_champion > 100, `the champion trained on ${holdout.trained_by_champion} of the candidate's test rows`);
    assert.equal(holdout.rows, holdout.test_rows - holdout.trained_by_champion - holdout.trained_by_candidate);
    assert.ok(holdout.rows >= 200);
    assert.match(holdout.fingerprint, /^[0-9a-f]{64}$/);
    assert.equal(result.gate.comparison!.rows, holdout.rows);
    assert.deepEqual([result.gate.schema_change, result.champion_version], [null, 1]);
    assert.deepEqual((await new GateDecisions(store).list('churn')).at(-1)!.holdout, holdout, 'the stored decision keeps the holdout');

    // Scored on the whole test split, as before, the champion meets rows it learnt: "significantly worse".
    const data = datasetFromBytes(await artifacts.get(challenger.dataUri), file, 'churned');
    const split = stratifiedSplit(data.y, 0.2, 2);
    const naive = validationGate(
      scoreOnRows(await readModel(artifacts, challenger.artifactUri), data, split.test)!,
      scoreOnRows(await readModel(artifacts, champion.artifactUri), data, split.test),
      { minAccuracy: 0.7, minPrecision: 0.7 },
    );
    assert.equal(naive.passed, false);
    assert.match(naive.reasons[0]!, /significantly worse than the champion/);
  });

  it('a clearly better challenger on fresh data is promoted, even under better', async () => {
    const weak = await train('better', csv('weak.csv', rowsOf(1001, 31).slice(1)), 1, 1, 1);
    await promote('better', weak);
    const file = csv('fresh.csv', rowsOf(1501, 32).slice(1));
    const strong = await train('better', file, 2, 10);
    const result = await validate('better', strong, file, { policy: 'better' });
    assert.equal(result.gate.passed, true, result.gate.reasons.join('; '));
    assert.deepEqual(
      [result.gate.holdout!.rows, result.gate.holdout!.trained_by_champion],
      [result.gate.holdout!.test_rows, 0],
      'fresh data: every test row is honest',
    );
    assert.ok(result.gate.comparison!.difference > 0.05 && result.gate.comparison!.p_value < 1e-6, JSON.stringify(result.gate.comparison));
    assert.equal(await promote('better', strong), 2);
  });

  it('too few rows neither model trained on: refused, saying why, and the holdout recorded', async () => {
    // The champion's own file with another seed: 80% of the new test split is champion training data.
    const file = csv('same.csv', pool.slice(1, 1001));
    const result = await validate('churn', await train('churn', file, 2), file);
    const holdout = result.gate.holdout!;
    assert.equal(result.gate.passed, false);
    assert.ok(holdout.rows < 200 && holdout.rows > 0, `${holdout.rows} rows`);
    assert.equal(
      result.gate.reasons[0],
      `only ${holdout.rows} holdout rows that neither model trained on (minimum 200): too few to replace the champion`,
    );
    assert.equal(holdout.trained_by_champion, holdout.test_rows - holdout.rows - holdout.trained_by_candidate);
    // The same rows (same data, same seed), the same fingerprint; min_holdout_rows lowers the bar.
    const again = await validate('churn', await train('churn', file, 2), file, { minHoldoutRows: holdout.rows });
    assert.deepEqual([again.gate.passed, again.gate.holdout!.fingerprint], [true, holdout.fingerprint]);
  });

  it('a CSV missing or retyping a champion column fails in one line naming file and column; allow_schema_change records the change', async () => {
    const columns = HEADER.split(',');
    const age = columns.indexOf('age');
    const withoutAge = (rows: readonly string[]) =>
      rows.map((r) =>
        r
          .split(',')
          .filter((_, i) => i !== age)
          .join(','),
      );
    const noAge = csv('no-age.csv', withoutAge(rowsOf(1501, 41).slice(1)), columns.filter((c) => c !== 'age').join(','));
    const expectedSchema = { schema: schemaOf(champion), owner: 'champion v1' };
    const versions = async () => (await new ModelRegistry(store).versions('churn')).map((v) => [v.version, v.stage]);
    const before = await versions();
    await assert.rejects(
      trainModel(store, artifacts, { model: 'churn', data: noAge, target: 'churned', trees: 10, expectedSchema }),
      (e: Error) => {
        assert.ok(e instanceof DataValidationError);
        assert.equal(e.message.split('\n').length, 1);
        assert.match(
          e.message,
          new RegExp(
            `^${noAge.replace(/[.]/g, '\\.')}: missing column 'age' \\(champion v1's feature schema: tenure_months, .*, age → churned \\(0, 1\\)\\); set allow_schema_change to retrain with another schema$`,
          ),
        );
        return true;
      },
    );
    const retyped = csv(
      'retyped.csv',
      rowsOf(301, 42)
        .slice(1)
        .map((r, i) =>
          i === 4
            ? r
                .split(',')
                .map((c, k) => (k === age ? 'forty' : c))
                .join(',')
            : r,
        ),
    );
    await assert.rejects(
      trainModel(store, artifacts, { model: 'churn', data: retyped, target: 'churned', trees: 10, expectedSchema }),
      /retyped\.csv: column 'age' is retyped: row 6 holds 'forty', not a number \(champion v1's/,
    );
    assert.deepEqual(await versions(), before, 'nothing registered, production unchanged');

    // Trained anyway (as with allow_schema_change), the gate checks again: without the param, the same one line.
    const candidate = await train('churn', noAge, 3);
    await assert.rejects(validate('churn', candidate, noAge), /no-age\.csv: missing column 'age' \(champion v1's feature schema/);
    const allowed = await validate('churn', candidate, noAge, { allowSchemaChange: true });
    assert.equal(allowed.gate.passed, true, allowed.gate.reasons.join('; '));
    assert.deepEqual(allowed.gate.schema_change, { allowed: true, champion_version: 1, differences: ["missing column 'age'"] });
    assert.equal(allowed.gate.comparison, null, 'the champion reads age: it cannot score this data');
    assert.match(log.at(-1)!, /champion v1 cannot score this data \(missing column 'age'\); allow_schema_change/);
    assert.deepEqual(await versions(), before);

    // Through the pipeline (this home is an UPDRAFT_HOME): train_model's one try fails with that one line.
    writeChurnData(join(home, 'data', 'churn'), { drift: true, rows: 300 });
    const run = await pipelineDagsTest({ UPDRAFT_HOME: home }, { train: noAge, retrain_cooldown_minutes: 0 });
    assert.equal(run.code, 1);
    const tries = run.result.task_instances.filter((t) => t.task_id === 'train_model');
    assert.deepEqual(
      tries.map((t) => t.state),
      ['failed'],
      'a schema difference is not retried',
    );
    assert.match(
      tries[0]!.error!,
      /^DataValidationError: .*no-age\.csv: missing column 'age' \(champion v1's feature schema: [^\n]*\); set allow_schema_change to retrain with another schema$/,
    );
    assert.equal(taskStates(run.result)['deploy_model#1'], 'upstream_failed');
    // Updraft's own error says it all in its message: the try's log holds that line, not a stack.
    const tryLog = await runCli(['--dags-folder', DAGS, 'tasks', 'logs', 'ml_retraining_pipeline', run.result.run_id, 'train_model'], {
      UPDRAFT_HOME: home,
    });
    assert.match(tryLog.stdout, /DataValidationError: .*missing column 'age'/);
    assert.doesNotMatch(tryLog.stdout, /^\s+at /m, 'no stack in the task log');
    assert.deepEqual(await versions(), before, 'nothing registered, production unchanged');
  });
});
