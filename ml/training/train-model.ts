import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { updraftHome } from '../../engine/store/database.ts';
import type { Store } from '../../engine/store/store.ts';
import { assertModelName } from '../registry/model-registry.ts';
import { TrackingStore } from '../tracking/tracking-store.ts';
import { loadDataset, stratifiedSplit, type Dataset } from './dataset.ts';
import { classificationMetrics, type ClassificationMetrics } from './metrics.ts';
import { argmax, loadForest, trainForest, voteFractions, type ForestOptions, type ModelArtifact } from './random-forest.ts';

export interface TrainRequest extends ForestOptions {
  model: string;
  data: string;
  target: string;
  /** @defaultValue 0.2 */
  testFraction?: number;
}

export interface TrainResult {
  runId: string;
  artifactPath: string;
  metrics: ClassificationMetrics & { train_seconds: number };
  dataSha256: string;
  nTrain: number;
  nTest: number;
  features: string[];
}

const pick = <T>(rows: readonly T[], idx: readonly number[]): T[] => idx.map((i) => rows[i]!);

/** Scores a saved model on rows of a data set (by feature name, so column order may differ). */
export function scoreArtifact(artifact: ModelArtifact, data: Dataset, rows: readonly number[]): ClassificationMetrics | null {
  if (artifact.target !== data.target || artifact.features.some((f) => !data.features.includes(f))) return null;
  if (artifact.classes.join('\u0000') !== data.classes.join('\u0000')) return null;
  const cols = artifact.features.map((f) => data.features.indexOf(f));
  const X = rows.map((r) => cols.map((c) => data.X[r]![c]!));
  const scores = voteFractions(loadForest(artifact), X, data.classes.length);
  return classificationMetrics(pick(data.y, rows), scores.map(argmax), scores, data.classes.length);
}

export const readArtifact = (path: string): ModelArtifact => JSON.parse(readFileSync(path, 'utf8')) as ModelArtifact;

/**
 * Trains a random forest on a stratified 80/20 split of `data`, evaluates it
 * on the holdout, writes the artifact under `$UPDRAFT_HOME/artifacts/<model>/`,
 * and records the run (params, metrics, data SHA-256, features, row counts)
 * in the tracking store. A failed run is recorded too, then rethrown.
 */
export async function trainModel(store: Store, request: TrainRequest): Promise<TrainResult> {
  assertModelName(request.model);
  const tracking = new TrackingStore(store);
  const runId = tracking.newRunId();
  const startedAt = new Date();
  const params = {
    trainer: request.trainer ?? 'updraft', trees: request.trees ?? 100, seed: request.seed ?? 42, max_depth: request.maxDepth ?? null,
    max_features: request.maxFeatures ?? 'sqrt', min_samples_leaf: request.minSamplesLeaf ?? 1, bootstrap: request.bootstrap ?? true,
    test_fraction: request.testFraction ?? 0.2, data: request.data, target: request.target,
  };
  try {
    const data = loadDataset(request.data, request.target);
    const split = stratifiedSplit(data.y, params.test_fraction, params.seed);
    const t0 = performance.now();
    const forest = await trainForest(pick(data.X, split.train), pick(data.y, split.train), data.classes.length, request);
    const trainSeconds = (performance.now() - t0) / 1000;
    const artifact: ModelArtifact = { format: 'ml-random-forest@2', features: data.features, target: data.target, classes: data.classes, model: forest.toJSON() };
    const metrics = { ...scoreArtifact(artifact, data, split.test)!, train_seconds: trainSeconds };
    const dir = join(updraftHome(), 'artifacts', request.model, runId);
    mkdirSync(dir, { recursive: true });
    const artifactPath = join(dir, 'model.json');
    writeFileSync(`${artifactPath}.tmp`, JSON.stringify(artifact));
    renameSync(`${artifactPath}.tmp`, artifactPath);
    await tracking.record({
      runId, experiment: request.model, status: 'finished', startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), params, metrics,
      artifactPath, dataSha256: data.sha256, featureNames: data.features, target: data.target, nTrain: split.train.length, nTest: split.test.length, error: null,
    });
    return { runId, artifactPath, metrics, dataSha256: data.sha256, nTrain: split.train.length, nTest: split.test.length, features: data.features };
  } catch (error) {
    await tracking.record({
      runId, experiment: request.model, status: 'failed', startedAt: startedAt.toISOString(), endedAt: new Date().toISOString(), params, metrics: {},
      artifactPath: null, dataSha256: null, featureNames: [], target: request.target, nTrain: null, nTest: null, error: (error as Error).message,
    });
    throw error;
  }
}
