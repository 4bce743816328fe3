import type { ClassificationMetrics } from './metrics.ts';

export interface GateOptions {
  /** @defaultValue 0.85 */
  minAccuracy?: number;
  /** @defaultValue 0.83 */
  minPrecision?: number;
  /** The candidate may trail the champion's accuracy by at most this much. @defaultValue 0.01 */
  tolerance?: number;
}

export interface GateDecision {
  passed: boolean;
  reasons: string[];
}

/**
 * Absolute thresholds and champion/challenger: the candidate must reach the
 * thresholds and must not be worse than the production model, scored on the
 * same holdout, by more than the tolerance.
 */
export function validationGate(candidate: ClassificationMetrics, champion: ClassificationMetrics | null, options: GateOptions = {}): GateDecision {
  const minAccuracy = options.minAccuracy ?? 0.85;
  const minPrecision = options.minPrecision ?? 0.83;
  const tolerance = options.tolerance ?? 0.01;
  const reasons: string[] = [];
  if (candidate.accuracy < minAccuracy) reasons.push(`accuracy ${candidate.accuracy.toFixed(4)} < threshold ${minAccuracy}`);
  if (candidate.precision < minPrecision) reasons.push(`precision ${candidate.precision.toFixed(4)} < threshold ${minPrecision}`);
  if (champion && candidate.accuracy < champion.accuracy - tolerance) {
    reasons.push(`accuracy ${candidate.accuracy.toFixed(4)} is worse than the champion's ${champion.accuracy.toFixed(4)} by more than ${tolerance}`);
  }
  return { passed: reasons.length === 0, reasons };
}
