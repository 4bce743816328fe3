import { type ArtifactStore, FailWithoutRetryError, InvalidInputError } from '../../engine/plugin-api.ts';
import type { MlStore } from '../store/schema.ts';
import { DataValidationError } from '../errors.ts';
import { assertModelName, ModelRegistry } from '../registry/model-registry.ts';
import { probabilityCorrect, readCalibrator, type Calibrator } from '../training/calibration.ts';
import { PredictionStore, type ScoredPrediction } from './prediction-store.ts';

/** The version has no calibrator (registered before calibration existed): retrying does not help, retraining does. */
export class UncalibratedVersionError extends FailWithoutRetryError {}

export interface EstimateOptions {
  /** Predictions per chunk; chunks end at the newest prediction, so only the oldest may be partial. @defaultValue 1000 */
  chunkSize?: number;
  /** A complete newest chunk estimated below this accuracy raises the alert. @defaultValue 0.85 */
  threshold?: number;
}

export interface ChunkEstimate {
  index: number;
  start: string;
  end: string;
  rows: number;
  /** false for an oldest chunk with fewer than chunk-size rows */
  complete: boolean;
  /** Mean over the chunk's rows of the calibrated probability that the prediction is right. */
  estimated_accuracy: number;
  /** Accuracy over the rows already labelled, for comparison; null when none is. */
  realized_accuracy: number | null;
  labelled: number;
  alert: boolean;
}

export interface ChunkedEstimate {
  method: 'cbpe';
  metric: 'accuracy';
  threshold: number;
  chunk_size: number;
  rows: number;
  /** Over all rows. null without rows. */
  estimated_accuracy: number | null;
  chunks: ChunkEstimate[];
  /** The newest chunk when it is complete: what the trigger decides on. */
  latest: ChunkEstimate | null;
  alert: boolean;
  reason: string;
}

/**
 * Confidence-based performance estimation (as NannyML's CBPE): each
 * prediction is right with its calibrated probability, so a chunk's expected
 * accuracy is the mean of those probabilities. It needs no labels, and holds
 * while P(y | x) is what the calibrator learned: it follows covariate shift
 * (rows moving toward the decision boundary) but cannot see concept drift.
 */
export function estimateChunks(rows: readonly ScoredPrediction[], calibrator: Calibrator, options: EstimateOptions = {}): ChunkedEstimate {
  const chunkSize = options.chunkSize ?? 1000;
  const threshold = options.threshold ?? 0.85;
  const classIndex = new Map(calibrator.classes.map((c, i) => [c, i]));
  const probabilities = rows.map((r) => {
    const predicted = classIndex.get(r.prediction);
    if (predicted === undefined)
      throw new DataValidationError(
        `prediction '${r.id}': class '${r.prediction}' is not one of the model's classes (${calibrator.classes.join(', ')})`,
      );
    if (!(r.score >= 0 && r.score <= 1))
      throw new DataValidationError(`prediction '${r.id}': score ${r.score} is not a vote share in [0, 1]`);
    return probabilityCorrect(calibrator, predicted, r.score);
  });
  const chunks: ChunkEstimate[] = [];
  // Aligned to the newest row: the chunk the trigger reads is always a full one.
  const starts: number[] = [];
  for (let end = rows.length; end > 0; end -= chunkSize) starts.unshift(Math.max(0, end - chunkSize));
  starts.forEach((start, index) => {
    const end = Math.min(rows.length, start + chunkSize, starts[index + 1] ?? rows.length);
    const slice = rows.slice(start, end);
    const estimated = probabilities.slice(start, end).reduce((s, p) => s + p, 0) / slice.length;
    const labelled = slice.filter((r) => r.actual !== null);
    const complete = slice.length === chunkSize;
    chunks.push({
      index,
      start: slice[0]!.timestamp,
      end: slice.at(-1)!.timestamp,
      rows: slice.length,
      complete,
      estimated_accuracy: estimated,
      realized_accuracy: labelled.length ? labelled.filter((r) => r.actual === r.prediction).length / labelled.length : null,
      labelled: labelled.length,
      alert: complete && estimated < threshold,
    });
  });
  const latest = chunks.at(-1)?.complete ? chunks.at(-1)! : null;
  const reason = latest
    ? `estimated accuracy ${latest.estimated_accuracy.toFixed(4)} ${latest.alert ? '<' : '>='} ${threshold} on the newest ${latest.rows} predictions`
    : `only ${rows.length} scored predictions (< chunk size ${chunkSize}): no estimate yet`;
  return {
    method: 'cbpe',
    metric: 'accuracy',
    threshold,
    chunk_size: chunkSize,
    rows: rows.length,
    estimated_accuracy: rows.length ? probabilities.reduce((s, p) => s + p, 0) / rows.length : null,
    chunks,
    latest,
    alert: latest?.alert ?? false,
    reason,
  };
}

export interface PerformanceEstimate extends ChunkedEstimate {
  model: string;
  version: number;
  calibrator_uri: string;
  window_days: number;
  /** Predictions in the window without a score: they cannot be estimated. */
  unscored: number;
}

export interface StoreEstimateOptions extends EstimateOptions {
  /** The version whose predictions to estimate. @defaultValue the production version (with predictions logged without a version) */
  version?: number;
  /** @defaultValue 7 */
  windowDays?: number;
  now?: Date;
}

/** {@link estimateChunks} on the logged predictions of a model version, with the calibrator pinned to it. */
export async function estimatePerformance(
  store: MlStore,
  artifacts: ArtifactStore,
  model: string,
  options: StoreEstimateOptions = {},
): Promise<PerformanceEstimate> {
  assertModelName(model);
  const registry = new ModelRegistry(store);
  const production = await registry.production(model);
  const version = options.version === undefined ? production : await registry.version(model, options.version);
  if (!version) throw new InvalidInputError(`model '${model}' has no production version (promote one, or pass --version)`);
  const calibratorUri = version.record?.calibrator?.uri;
  if (!calibratorUri)
    throw new UncalibratedVersionError(
      `model '${model}' v${version.version} has no calibrator (it was registered before calibration): retrain it`,
    );
  const calibrator = await readCalibrator(artifacts, calibratorUri);
  const windowDays = options.windowDays ?? 7;
  const since = new Date((options.now ?? new Date()).getTime() - windowDays * 86_400_000);
  const versions = version.version === production?.version ? [version.version, 0] : [version.version];
  const predictions = new PredictionStore(store);
  const [rows, unscored] = await Promise.all([predictions.scored(model, versions, since), predictions.unscored(model, versions, since)]);
  return {
    model,
    version: version.version,
    calibrator_uri: calibratorUri,
    window_days: windowDays,
    unscored,
    ...estimateChunks(rows, calibrator, options),
  };
}
