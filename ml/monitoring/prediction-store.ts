import { randomUUID } from 'node:crypto';
import { chunks, NotFoundError } from '../../engine/plugin-api.ts';
import type { MlStore } from '../store/schema.ts';

export interface LoggedPrediction {
  id?: string;
  model: string;
  modelVersion: number;
  prediction: string;
  score?: number | null;
  timestamp?: Date;
}

/** A logged prediction with its score: the model's vote share of the predicted class. */
export interface ScoredPrediction {
  id: string;
  version: number;
  prediction: string;
  score: number;
  actual: string | null;
  timestamp: string;
}

export interface AccuracyWindow {
  model: string;
  windowDays: number;
  predictions: number;
  labelled: number;
  /** labelled / predictions in the window */
  labelCoverage: number;
  /** null when fewer than `minLabels` labelled predictions */
  accuracy: number | null;
  minLabels: number;
}

/** Predictions served in production, with their true labels attached when they arrive (often late). */
export class PredictionStore {
  constructor(private readonly store: MlStore) {}

  async log(predictions: readonly LoggedPrediction[], now = new Date()): Promise<string[]> {
    const rows = predictions.map((p) => ({
      id: p.id ?? randomUUID(),
      model: p.model,
      model_version: p.modelVersion,
      prediction: p.prediction,
      score: p.score ?? null,
      actual: null,
      timestamp: (p.timestamp ?? now).toISOString(),
      labelled_at: null,
    }));
    for (const batch of chunks(rows, 200)) await this.store.db.insertInto('prediction').values(batch).execute();
    return rows.map((r) => r.id);
  }

  /** Attaches the true label to a logged prediction. */
  async label(id: string, actual: string, now = new Date()): Promise<void> {
    const r = await this.store.db
      .updateTable('prediction')
      .set({ actual, labelled_at: now.toISOString() })
      .where('id', '=', id)
      .executeTakeFirst();
    if (r.numUpdatedRows === 0n) throw new NotFoundError(`no logged prediction '${id}'`);
  }

  /**
   * Predictions of `model` that carry a score, oldest first, since `since`:
   * those logged for one of `versions` (0 stands for "version not given").
   */
  async scored(model: string, versions: readonly number[], since: Date): Promise<ScoredPrediction[]> {
    const rows = await this.store.db
      .selectFrom('prediction')
      .select(['id', 'model_version', 'prediction', 'score', 'actual', 'timestamp'])
      .where('model', '=', model)
      .where('model_version', 'in', [...versions])
      .where('timestamp', '>=', since.toISOString())
      .where('score', 'is not', null)
      .orderBy('timestamp')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      version: r.model_version,
      prediction: r.prediction,
      score: r.score!,
      actual: r.actual,
      timestamp: r.timestamp,
    }));
  }

  /** How many predictions of `model` since `since` carry no score (they cannot be estimated). */
  async unscored(model: string, versions: readonly number[], since: Date): Promise<number> {
    const row = await this.store.db
      .selectFrom('prediction')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('model', '=', model)
      .where('model_version', 'in', [...versions])
      .where('timestamp', '>=', since.toISOString())
      .where('score', 'is', null)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Accuracy over the labelled predictions of the last `windowDays` days. */
  async accuracy(model: string, options: { windowDays?: number; minLabels?: number; now?: Date } = {}): Promise<AccuracyWindow> {
    const windowDays = options.windowDays ?? 7;
    const minLabels = options.minLabels ?? 100;
    const since = new Date((options.now ?? new Date()).getTime() - windowDays * 86_400_000).toISOString();
    const rows = await this.store.db
      .selectFrom('prediction')
      .select(['prediction', 'actual'])
      .where('model', '=', model)
      .where('timestamp', '>=', since)
      .execute();
    const labelled = rows.filter((r) => r.actual !== null);
    const correct = labelled.filter((r) => r.actual === r.prediction).length;
    return {
      model,
      windowDays,
      minLabels,
      predictions: rows.length,
      labelled: labelled.length,
      labelCoverage: rows.length ? labelled.length / rows.length : 0,
      accuracy: labelled.length >= minLabels ? correct / labelled.length : null,
    };
  }
}
