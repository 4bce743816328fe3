import { ArtifactCorruptError, artifactKey, type ArtifactStore } from '../../engine/plugin-api.ts';
import type { MlStore } from '../store/schema.ts';
import { CsvTable } from '../data/csv-table.ts';
import { readSource } from '../data/data-source.ts';
import { assertModelName } from '../registry/model-name.ts';
import { TrackingStore } from '../tracking/tracking-store.ts';
import { fitCalibrator } from './calibration.ts';
import { assertTrainableSplit, datasetFromBytes, stratifiedSplit, type Dataset } from './dataset.ts';
import { assertMatchesSchema, type FeatureSchema } from './feature-schema.ts';
import { classificationMetrics, type ClassificationMetrics } from './metrics.ts';
import { argmax, loadForest, trainForest, voteFractions, type ForestOptions, type ModelArtifact } from './random-forest.ts';
import { trainingRows } from './training-rows.ts';
import type { ScoredHoldout } from './validation-gate.ts';

export interface TrainRequest extends ForestOptions {
  model: string;
  /** The training CSV: a path on this host or an artifact URI. */
  data: string;
  target: string;
  /** @defaultValue 0.2 */
  testFraction?: number;
  /** The schema the data must match (the champion's, when retraining it); a difference fails before anything is trained or written. */
  expectedSchema?: { schema: FeatureSchema; owner: string };
}

export interface TrainResult {
  runId: string;
  /** The model, in the artifact store. */
  artifactUri: string;
  /** The exact training data, copied into the artifact store, so that a later task on any host scores on the same bytes. */
  dataUri: string;
  /** The isotonic calibrator of the forest's vote shares, fitted on the holdout (for estimating accuracy without labels). */
  calibratorUri: string;
  /** Fingerprints of the rows the model trained on (ml/training/training-rows.ts), so a later gate scores it only on rows it never saw. */
  trainingRowsUri: string;
  target: string;
  classes: string[];
  params: Record<string, unknown>;
  metrics: ClassificationMetrics & { train_seconds: number };
  dataSha256: string;
  nTrain: number;
  nTest: number;
  features: string[];
}

const pick = <T>(rows: readonly T[], idx: readonly number[]): T[] => idx.map((i) => rows[i]!);

/**
 * Scores a saved model on rows of a data set (by feature name, so column
 * order may differ): metrics, per-row correctness (for paired tests) and the
 * vote fractions. null when the model uses other features, target or classes.
 */
export function scoreOnRows(
  artifact: ModelArtifact,
  data: Dataset,
  rows: readonly number[],
): (ScoredHoldout & { scores: number[][]; yTrue: number[] }) | null {
  if (artifact.target !== data.target || artifact.features.some((f) => !data.features.includes(f))) return null;
  if (artifact.classes.join('\u0000') !== data.classes.join('\u0000')) return null;
  const cols = artifact.features.map((f) => data.features.indexOf(f));
  const X = rows.map((r) => cols.map((c) => data.X[r]![c]!));
  const scores = voteFractions(loadForest(artifact), X, data.classes.length);
  const yTrue = pick(data.y, rows);
  const yPred = scores.map(argmax);
  return {
    metrics: classificationMetrics(yTrue, yPred, scores, data.classes.length),
    correct: yPred.map((p, i) => p === yTrue[i]),
    scores,
    yTrue,
  };
}

/** {@link scoreOnRows}, metrics only. */
export function scoreArtifact(artifact: ModelArtifact, data: Dataset, rows: readonly number[]): ClassificationMetrics | null {
  return scoreOnRows(artifact, data, rows)?.metrics ?? null;
}

/** A model artifact read (and its SHA-256 verified) through the artifact store. */
export async function readModel(artifacts: ArtifactStore, uri: string): Promise<ModelArtifact> {
  const bytes = await artifacts.get(uri);
  let artifact: ModelArtifact;
  try {
    artifact = JSON.parse(bytes.toString('utf8')) as ModelArtifact;
  } catch {
    throw new ArtifactCorruptError(uri, 'not JSON: not a model artifact');
  }
  if (typeof artifact !== 'object' || artifact === null || !Array.isArray(artifact.features) || !Array.isArray(artifact.classes)) {
    throw new ArtifactCorruptError(uri, 'not a model artifact (no features or classes)');
  }
  return artifact;
}

export const modelKey = (model: string, runId: string): string => artifactKey('models', model, runId, 'model.json');
export const trainingDataKey = (model: string, runId: string): string => artifactKey('datasets', model, runId, 'train.csv');
export const calibratorKey = (model: string, runId: string): string => artifactKey('models', model, runId, 'calibrator.json');
export const trainingRowsKey = (model: string, runId: string): string => artifactKey('models', model, runId, 'training-rows.json');

/**
 * Trains a random forest on a stratified 80/20 split of `data`, evaluates it
 * on the holdout, writes the model (`models/<model>/<run>/model.json`), the
 * fingerprints of its training rows (`training-rows.json` beside it) and the
 * data it saw (`datasets/<model>/<run>/train.csv`) to the artifact store,
 * and records the run (params, metrics, artifact URI, data SHA-256, features,
 * row counts) in the tracking store. A failed run is recorded too, then rethrown.
 */
export async function trainModel(store: MlStore, artifacts: ArtifactStore, request: TrainRequest): Promise<TrainResult> {
  assertModelName(request.model);
  const tracking = new TrackingStore(store);
  const runId = tracking.newRunId();
  const startedAt = new Date();
  const params = {
    trainer: request.trainer ?? 'updraft',
    trees: request.trees ?? 100,
    seed: request.seed ?? 42,
    max_depth: request.maxDepth ?? null,
    max_features: request.maxFeatures ?? 'sqrt',
    min_samples_leaf: request.minSamplesLeaf ?? 1,
    bootstrap: request.bootstrap ?? true,
    test_fraction: request.testFraction ?? 0.2,
    data: request.data,
    target: request.target,
  };
  try {
    const bytes = await readSource(request.data, artifacts);
    if (request.expectedSchema)
      assertMatchesSchema(
        CsvTable.parse(bytes.toString('utf8'), request.data),
        request.expectedSchema.schema,
        request.expectedSchema.owner,
      );
    const data = datasetFromBytes(bytes, request.data, request.target);
    const split = stratifiedSplit(data.y, params.test_fraction, params.seed);
    assertTrainableSplit(data, split, params.test_fraction);
    const t0 = performance.now();
    const forest = await trainForest(pick(data.X, split.train), pick(data.y, split.train), data.classes.length, request);
    const trainSeconds = (performance.now() - t0) / 1000;
    const artifact: ModelArtifact = {
      format: 'ml-random-forest@2',
      features: data.features,
      target: data.target,
      classes: data.classes,
      model: forest.toJSON(),
    };
    const holdout = scoreOnRows(artifact, data, split.test)!;
    const metrics = { ...holdout.metrics, train_seconds: trainSeconds };
    // Calibrated on the holdout the trees never saw: vote shares of a forest are not probabilities.
    const calibrator = fitCalibrator(holdout.scores, holdout.yTrue, data.classes);
    const dataUri = (await artifacts.put(trainingDataKey(request.model, runId), bytes)).uri;
    const artifactUri = (await artifacts.put(modelKey(request.model, runId), JSON.stringify(artifact))).uri;
    const calibratorUri = (await artifacts.put(calibratorKey(request.model, runId), JSON.stringify(calibrator))).uri;
    const trainingRowsUri = (await artifacts.put(trainingRowsKey(request.model, runId), JSON.stringify(trainingRows(data, split.train))))
      .uri;
    const recorded = { ...params, data_uri: dataUri, calibrator_uri: calibratorUri, training_rows_uri: trainingRowsUri };
    await tracking.record({
      runId,
      experiment: request.model,
      status: 'finished',
      startedAt: startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      params: recorded,
      metrics,
      artifactUri,
      dataSha256: data.sha256,
      featureNames: data.features,
      target: data.target,
      nTrain: split.train.length,
      nTest: split.test.length,
      error: null,
    });
    return {
      runId,
      artifactUri,
      dataUri,
      calibratorUri,
      trainingRowsUri,
      metrics,
      dataSha256: data.sha256,
      nTrain: split.train.length,
      nTest: split.test.length,
      features: data.features,
      target: data.target,
      classes: data.classes,
      params: recorded,
    };
  } catch (error) {
    await tracking.record({
      runId,
      experiment: request.model,
      status: 'failed',
      startedAt: startedAt.toISOString(),
      endedAt: new Date().toISOString(),
      params,
      metrics: {},
      artifactUri: null,
      dataSha256: null,
      featureNames: [],
      target: request.target,
      nTrain: null,
      nTest: null,
      error: (error as Error).message,
    });
    throw error;
  }
}
