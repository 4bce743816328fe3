import { join, resolve } from 'node:path';
import { FailWithoutRetryError, type TaskContext, updraftHome } from '../../engine/plugin-api.ts';
import { isArtifactUri } from '../data/data-source.ts';
import type { GatePolicy } from '../training/validation-gate.ts';

/**
 * Run parameters (DAG params, overridden per run by conf). Data paths default
 * to `$UPDRAFT_HOME/data/<model>/{reference,current,train}.csv`, so several
 * models retrain side by side in their own directories; `reference`,
 * `current` and `train` may also be artifact URIs, which any host can read.
 * What the tasks hand each other (the model, the training data, the drift
 * report) always travels as artifact URIs. `retrain_cooldown_minutes`: triggers
 * of one model that fire within this long of the retrain they would start are
 * merged into it (ml/pipeline/retrain-coalescer.ts); a run's conf sets it per model.
 */
export const RETRAINING_PARAMS = {
  model: 'churn',
  target: 'churned',
  data_dir: '',
  trees: 50,
  seed: 42,
  min_accuracy: 0.85,
  min_precision: 0.83,
  /** 'not_worse': promote unless McNemar says the candidate is worse at gate_alpha; 'better': only when it says better. */
  gate_policy: 'not_worse' as GatePolicy,
  gate_alpha: 0.05,
  bootstrap_resamples: 2000,
  /** Fewest holdout rows that neither the champion nor the candidate trained on for a candidate to replace the champion. */
  min_holdout_rows: 200,
  /** The training data may differ from the champion's feature schema (columns, types, classes); the change is recorded in the gate decision. */
  allow_schema_change: false,
  drift_alpha: 0.05,
  accuracy_threshold: 0.85,
  max_age_days: 7,
  /** Predictions per chunk of the estimated-performance trigger. */
  estimate_chunk: 1000,
  retrain_cooldown_minutes: 60,
};

export const param = <T>(ctx: TaskContext, name: keyof typeof RETRAINING_PARAMS): T => (ctx.params[name] ?? RETRAINING_PARAMS[name]) as T;
const dataDir = (ctx: TaskContext): string =>
  resolve(param<string>(ctx, 'data_dir') || join(updraftHome(), 'data', param<string>(ctx, 'model')));

/** A data set of the run: the `reference` / `current` / `train` param (a path or an artifact URI), else the file in the model's data directory. */
export const dataFile = (ctx: TaskContext, kind: 'reference' | 'current' | 'train'): string => {
  const given = ctx.params[kind];
  if (typeof given !== 'string') return join(dataDir(ctx), `${kind}.csv`);
  return isArtifactUri(given) ? given : resolve(given);
};

/** `allow_schema_change`, which must be a real boolean: the string "false" from a hand-written conf must not allow anything. */
export function allowSchemaChange(ctx: TaskContext): boolean {
  const value = param<unknown>(ctx, 'allow_schema_change');
  if (typeof value !== 'boolean')
    throw new FailWithoutRetryError(`param allow_schema_change must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

export function minHoldoutRows(ctx: TaskContext): number {
  const value = param<unknown>(ctx, 'min_holdout_rows');
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new FailWithoutRetryError(`param min_holdout_rows must be a whole number >= 0, got ${JSON.stringify(value)}`);
  return value;
}
