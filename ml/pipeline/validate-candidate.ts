import { ArtifactCorruptError, type ArtifactStore } from '../../engine/plugin-api.ts';
import type { MlStore } from '../store/schema.ts';
import { CsvTable } from '../data/csv-table.ts';
import { GateDecisions, type StoredGateDecision } from '../registry/gate-decisions.ts';
import { ModelRegistry, type ModelVersion } from '../registry/model-registry.ts';
import { datasetFromBytes, stratifiedSplit } from '../training/dataset.ts';
import { assertMatchesSchema, schemaDifferences, schemaOf, type FeatureSchema } from '../training/feature-schema.ts';
import type { ClassificationMetrics } from '../training/metrics.ts';
import { readModel, scoreOnRows, type TrainResult } from '../training/train-model.ts';
import { honestHoldout, trainingRows, type TrainingRows } from '../training/training-rows.ts';
import { validationGate, type GateOptions, type ScoredHoldout, type SchemaChange } from '../training/validation-gate.ts';

/** The schema a retrain must keep: the version's pinned one, else (a version registered before records) its model's. */
export async function championSchema(version: ModelVersion, artifacts: ArtifactStore): Promise<FeatureSchema> {
  return version.record?.feature_schema ?? schemaOf(await readModel(artifacts, version.artifactUri));
}

/**
 * The rows `version` trained on: its fingerprints, else (a record pinned
 * before they were kept) its split again, from its data, seed and test
 * fraction. null when nothing says which rows it saw.
 */
export async function championTrainingRows(version: ModelVersion, artifacts: ArtifactStore): Promise<TrainingRows | null> {
  const record = version.record;
  if (!record) return null;
  const uri = record.data.training_rows_uri;
  if (uri) {
    let rows: TrainingRows;
    try {
      rows = JSON.parse((await artifacts.get(uri)).toString('utf8')) as TrainingRows;
    } catch {
      throw new ArtifactCorruptError(uri, 'not JSON: not a training-rows artifact');
    }
    if (rows?.format !== 'updraft-training-rows@1' || !Array.isArray(rows.fingerprints))
      throw new ArtifactCorruptError(uri, 'not a training-rows artifact');
    return rows;
  }
  const schema = record.feature_schema;
  const data = datasetFromBytes(
    await artifacts.get(record.data.uri),
    record.data.uri,
    schema.target,
    schema.features.map((f) => f.name),
  );
  const split = stratifiedSplit(data.y, Number(record.params.test_fraction ?? 0.2), Number(record.params.seed ?? 42));
  return trainingRows(data, split.train);
}

export interface CandidateValidation
  extends Required<Pick<GateOptions, 'policy' | 'minAccuracy' | 'minPrecision' | 'alpha' | 'resamples' | 'seed' | 'minHoldoutRows'>> {
  model: string;
  trained: TrainResult;
  /** The training data as the user named it (a path or URI), for error messages. */
  trainFile: string;
  allowSchemaChange: boolean;
  dagRunId: string | null;
}

export interface CandidateValidationResult {
  candidate: ClassificationMetrics;
  champion: ClassificationMetrics | null;
  champion_version: number | null;
  gate: StoredGateDecision;
}

/** A model scored on no rows: nothing to say about it (the gate's row minimum says why). */
const unscored = (): ScoredHoldout => ({
  metrics: { accuracy: Number.NaN, precision: Number.NaN, recall: Number.NaN, f1: Number.NaN, roc_auc: Number.NaN },
  correct: [],
});

/**
 * The validate task: the candidate against the Production champion on an
 * honest holdout (the candidate's test rows less every row either model
 * trained on), after checking that the candidate kept the champion's
 * feature schema. A changed schema is a DataValidationError naming the file
 * and the column unless `allowSchemaChange`, which the decision records.
 * Every decision is kept; the caller rejects when `gate.passed` is false.
 */
export async function validateCandidate(
  store: MlStore,
  artifacts: ArtifactStore,
  request: CandidateValidation,
  log: { warn(message: string): void },
): Promise<CandidateValidationResult> {
  const { trained } = request;
  // The data train_model saw, by URI: this task may run on another host.
  const bytes = await artifacts.get(trained.dataUri);
  const data = datasetFromBytes(bytes, trained.dataUri, trained.target);
  const split = stratifiedSplit(data.y, Number(trained.params.test_fraction ?? 0.2), Number(trained.params.seed ?? 42));
  const production = await new ModelRegistry(store).production(request.model);

  let schemaChange: SchemaChange | null = null;
  let championRows: TrainingRows | null = null;
  const championModel = production ? await readModel(artifacts, production.artifactUri) : null;
  if (production) {
    // Checked again here: the champion may have changed since train_model checked.
    const schema = await championSchema(production, artifacts);
    const table = CsvTable.parse(bytes.toString('utf8'), request.trainFile);
    const differences = schemaDifferences(table, schema);
    if (differences.length > 0 && !request.allowSchemaChange) assertMatchesSchema(table, schema, `champion v${production.version}`);
    if (differences.length > 0)
      schemaChange = { allowed: true, champion_version: production.version, differences: differences.map((d) => d.problem) };
    championRows = await championTrainingRows(production, artifacts);
  }

  const holdout = honestHoldout(data, split, championRows, request.minHoldoutRows);
  const score = async (artifact: NonNullable<typeof championModel>) =>
    holdout.rows.length === 0 ? unscored() : scoreOnRows(artifact, data, holdout.rows);
  const candidate = (await score(await readModel(artifacts, trained.artifactUri)))!;
  const champion = championModel ? await score(championModel) : null;
  if (production && !champion)
    log.warn(
      `champion v${production.version} cannot score this data (${schemaChange?.differences.join('; ')}); allow_schema_change: the candidate is judged on its thresholds only`,
    );

  let gate = validationGate(candidate, champion, {
    ...request,
    holdout: holdout.record,
    schemaChange,
    replacesChampion: production !== undefined,
  });
  if (production && !championRows) {
    gate = {
      ...gate,
      passed: false,
      reasons: [
        ...gate.reasons,
        `champion v${production.version} has no record of the rows it trained on, so no holdout is known to be unseen by it: compare by hand, then 'updraft models promote'`,
      ],
    };
  }
  const stored = await new GateDecisions(store).record(request.model, trained.runId, production?.version ?? null, gate, request.dagRunId);
  return { candidate: candidate.metrics, champion: champion?.metrics ?? null, champion_version: production?.version ?? null, gate: stored };
}
