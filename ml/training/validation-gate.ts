import { mcnemarExact } from '../stats/mcnemar.ts';
import { pairedBootstrapAccuracyDifference } from '../stats/paired-bootstrap.ts';
import type { ClassificationMetrics } from './metrics.ts';
import type { HoldoutRecord } from './training-rows.ts';

/**
 * When a challenger may replace the champion, both scored on the same holdout.
 * `not_worse`: unless it is significantly worse (McNemar, two-sided, at alpha).
 * `better`: only when it is significantly better.
 */
export type GatePolicy = 'not_worse' | 'better';
export const GATE_POLICIES: readonly GatePolicy[] = ['not_worse', 'better'];

export interface GateOptions {
  /** @defaultValue 0.85 */
  minAccuracy?: number;
  /** @defaultValue 0.83 */
  minPrecision?: number;
  /** @defaultValue 'not_worse' */
  policy?: GatePolicy;
  /** Significance level of McNemar's test. @defaultValue 0.05 */
  alpha?: number;
  /** Paired bootstrap resamples for the interval. @defaultValue 2000 */
  resamples?: number;
  /** Seed of the bootstrap: same holdout, same seed, same interval. @defaultValue 42 */
  seed?: number;
  /**
   * Fewest holdout rows on which a candidate may replace a champion: below
   * it, no test tells two models apart and the gate refuses. A first model
   * (no champion serving) is judged on its thresholds whatever the count.
   * @defaultValue 200
   */
  minHoldoutRows?: number;
  /** Where the holdout came from (rows, fingerprint, what was taken out), kept with the decision. */
  holdout?: HoldoutRecord;
  /** An intended change of feature schema, allowed by `allow_schema_change`, kept with the decision. */
  schemaChange?: SchemaChange | null;
  /** A champion serves, whether or not it could score this holdout. @defaultValue champion !== null */
  replacesChampion?: boolean;
}

/** The candidate reads or predicts other columns than the champion it replaces (allowed, and so recorded). */
export interface SchemaChange {
  allowed: true;
  champion_version: number;
  /** One per differing column, as the schema check words them ("missing column 'age'"). */
  differences: string[];
}

/** A model scored on the holdout: its metrics and, per row, whether it was right. */
export interface ScoredHoldout {
  metrics: ClassificationMetrics;
  correct: boolean[];
}

/** Challenger vs champion on the same rows (snake_case: it is stored and shown as is). */
export interface ChampionComparison {
  rows: number;
  candidate_accuracy: number;
  champion_accuracy: number;
  /** candidate − champion accuracy */
  difference: number;
  ci_low: number;
  ci_high: number;
  ci_level: number;
  /** McNemar's exact two-sided p-value on the discordant rows. */
  p_value: number;
  /** Rows only the candidate got right / only the champion got right. */
  candidate_only: number;
  champion_only: number;
  resamples: number;
  seed: number;
}

export interface GateDecision {
  passed: boolean;
  reasons: string[];
  policy: GatePolicy;
  alpha: number;
  /** null when there is no champion to compare with (or, after an allowed schema change, it cannot score this holdout). */
  comparison: ChampionComparison | null;
  /** The rows scored: how many, their fingerprint, what was taken out (null when the caller gave none; absent in decisions recorded before). */
  holdout: HoldoutRecord | null;
  schema_change: SchemaChange | null;
}

/** Champion vs challenger: McNemar's exact test and a seeded paired-bootstrap interval of the accuracy difference. */
export function compareOnHoldout(
  candidate: ScoredHoldout,
  champion: ScoredHoldout,
  options: Pick<GateOptions, 'resamples' | 'seed'> = {},
): ChampionComparison {
  const test = mcnemarExact(champion.correct, candidate.correct);
  const interval = pairedBootstrapAccuracyDifference(champion.correct, candidate.correct, {
    resamples: options.resamples,
    seed: options.seed,
  });
  return {
    rows: candidate.correct.length,
    candidate_accuracy: candidate.metrics.accuracy,
    champion_accuracy: champion.metrics.accuracy,
    difference: interval.difference,
    ci_low: interval.low,
    ci_high: interval.high,
    ci_level: interval.level,
    p_value: test.pValue,
    candidate_only: test.secondOnly,
    champion_only: test.firstOnly,
    resamples: interval.resamples,
    seed: interval.seed,
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(2)} pts`;
const pValue = (p: number): string => (p < 0.001 ? p.toExponential(2) : p.toPrecision(3));

/**
 * Enough rows to decide on (when a champion serves), absolute thresholds,
 * then champion vs challenger as a test rather than a
 * comparison of two noisy numbers: with policy `not_worse` the candidate
 * fails only when McNemar's test says it is worse at `alpha`; with `better`
 * it passes only when the test says it is better.
 */
export function validationGate(candidate: ScoredHoldout, champion: ScoredHoldout | null, options: GateOptions = {}): GateDecision {
  const minAccuracy = options.minAccuracy ?? 0.85;
  const minPrecision = options.minPrecision ?? 0.83;
  const policy = options.policy ?? 'not_worse';
  const alpha = options.alpha ?? 0.05;
  const minRows = options.minHoldoutRows ?? 200;
  const rows = candidate.correct.length;
  const reasons: string[] = [];
  if (rows === 0) reasons.push('no holdout rows that the models did not train on: nothing to judge the candidate on');
  else if ((options.replacesChampion ?? champion !== null) && rows < minRows) {
    reasons.push(`only ${rows} holdout rows that neither model trained on (minimum ${minRows}): too few to replace the champion`);
  }
  if (rows > 0 && candidate.metrics.accuracy < minAccuracy)
    reasons.push(`accuracy ${candidate.metrics.accuracy.toFixed(4)} < threshold ${minAccuracy}`);
  if (rows > 0 && candidate.metrics.precision < minPrecision)
    reasons.push(`precision ${candidate.metrics.precision.toFixed(4)} < threshold ${minPrecision}`);
  const comparison = champion && rows > 0 ? compareOnHoldout(candidate, champion, options) : null;
  if (comparison) {
    const stats = `difference ${pct(comparison.difference)}, ${100 * comparison.ci_level}% CI [${pct(comparison.ci_low)}, ${pct(comparison.ci_high)}], McNemar p=${pValue(comparison.p_value)}`;
    const significant = comparison.p_value < alpha;
    if (policy === 'not_worse' && significant && comparison.difference < 0)
      reasons.push(`significantly worse than the champion (${stats})`);
    if (policy === 'better' && !(significant && comparison.difference > 0))
      reasons.push(`not significantly better than the champion (${stats})`);
  }
  return {
    passed: reasons.length === 0,
    reasons,
    policy,
    alpha,
    comparison,
    holdout: options.holdout ?? null,
    schema_change: options.schemaChange ?? null,
  };
}
