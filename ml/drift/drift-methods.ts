import { FailWithoutRetryError } from '../../engine/plugin-api.ts';

/** What `--method` accepts: `auto` picks per column as Evidently does; the others are forced on every column. */
export type DriftMethod = 'auto' | 'ks' | 'psi' | 'chi2' | 'wasserstein' | 'jensenshannon';
export const DRIFT_METHODS: readonly DriftMethod[] = ['auto', 'ks', 'psi', 'chi2', 'wasserstein', 'jensenshannon'];

/** The test a column got (`z`, the two-proportion z-test, only through `auto`, for binary columns). */
export type DriftTest = Exclude<DriftMethod, 'auto'> | 'z';

/** Tests that give a p-value (drift when the corrected p-value < threshold); the others give a distance (drift when >= threshold). */
export const P_VALUE_TESTS: ReadonlySet<DriftTest> = new Set<DriftTest>(['ks', 'chi2', 'z']);

/** Evidently's default thresholds: a significance level for p-value tests, a distance for the others. */
export const DEFAULT_THRESHOLD: Readonly<Record<DriftTest, number>> = {
  ks: 0.05,
  chi2: 0.05,
  z: 0.05,
  psi: 0.1,
  wasserstein: 0.1,
  jensenshannon: 0.1,
};

/** Up to this many reference rows `auto` uses p-value tests; above it, distances (a test on a big sample flags differences too small to matter). */
export const AUTO_MAX_TEST_ROWS = 1000;
/** A numeric column with at most this many distinct values (both samples together) is compared as categories. */
export const AUTO_MAX_CATEGORICAL_DISTINCT = 5;

/** A forced method that does not apply to a column (e.g. `ks` on a text column). A configuration error: retrying cannot help. */
export class DriftMethodError extends FailWithoutRetryError {}

export interface ColumnProfile {
  column: string;
  /** Every reference cell is a number. */
  numeric: boolean;
  /** Distinct values in both samples together (counting may stop once it is above AUTO_MAX_CATEGORICAL_DISTINCT). */
  distinct: number;
  referenceRows: number;
  /** Names the data in errors (the reference file). */
  source: string;
}

/** Whether a column is compared as categories: text, or numbers with few distinct values (Evidently's rule). */
export const comparedAsCategories = (p: ColumnProfile): boolean => !p.numeric || p.distinct <= AUTO_MAX_CATEGORICAL_DISTINCT;

/**
 * The test for one column. `auto` follows Evidently's default selection: with
 * at most 1,000 reference rows, KS for numeric columns with more than 5
 * distinct values, the z-test for binary columns (at most 2 distinct values)
 * and chi-square for other categorical ones; with more reference rows, the
 * normed Wasserstein distance for numeric columns and Jensen-Shannon for
 * categorical ones.
 */
export function chooseTest(method: DriftMethod, p: ColumnProfile): DriftTest {
  const categorical = comparedAsCategories(p);
  if (method === 'auto') {
    if (p.referenceRows <= AUTO_MAX_TEST_ROWS) return categorical ? (p.distinct <= 2 ? 'z' : 'chi2') : 'ks';
    return categorical ? 'jensenshannon' : 'wasserstein';
  }
  if ((method === 'ks' || method === 'wasserstein') && !p.numeric) {
    throw new DriftMethodError(
      `${p.source}: column '${p.column}' is not numeric; method '${method}' compares numeric columns only (limit the columns, or use auto)`,
    );
  }
  if (method === 'chi2' && !categorical) {
    throw new DriftMethodError(
      `${p.source}: column '${p.column}' is numeric with more than ${AUTO_MAX_CATEGORICAL_DISTINCT} distinct values; method 'chi2' compares categorical columns only (limit the columns, or use auto)`,
    );
  }
  return method;
}
