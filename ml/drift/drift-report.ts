import { adjustPValues, type Correction } from '../stats/multiple-testing.ts';
import type { CsvTable } from '../data/csv-table.ts';
import { DataValidationError } from '../errors.ts';
import { columnHistogram, type ColumnHistogram } from './column-histogram.ts';
import { distinctUpTo, type ColumnSamples } from './column-samples.ts';
import { psiOf, runColumnTest } from './column-tests.ts';
import {
  AUTO_MAX_CATEGORICAL_DISTINCT,
  chooseTest,
  comparedAsCategories,
  DEFAULT_THRESHOLD,
  DriftMethodError,
  P_VALUE_TESTS,
  type ColumnProfile,
  type DriftMethod,
  type DriftTest,
} from './drift-methods.ts';

export interface DriftOptions {
  /** Columns to compare. @defaultValue every column of the reference */
  columns?: string[];
  /**
   * The test per column: `auto` picks as Evidently does (see chooseTest);
   * `ks`, `psi`, `chi2`, `wasserstein` or `jensenshannon` force one on every column.
   * @defaultValue `'auto'`
   */
  method?: DriftMethod;
  /**
   * Per-column threshold: a p-value test flags drift when its corrected
   * p-value is below it, a distance when it is at or above it.
   * @defaultValue `alpha` for p-value tests, 0.1 for distances (Evidently's defaults)
   */
  threshold?: number;
  /** Significance level of the p-value tests when no `threshold` is given. @defaultValue `0.05` */
  alpha?: number;
  /**
   * Multiple-testing correction across the columns tested with p-values. `bh`
   * (Benjamini-Hochberg) is the default: with no column drifted it keeps the
   * chance of flagging a column by chance at alpha however many columns there
   * are, and keeps more power than Bonferroni when some columns did drift.
   * @defaultValue `'bh'`
   */
  correction?: Correction;
  /** The data set drifted when at least this share of the compared columns drifted (Evidently's rule). @defaultValue `0.5` */
  share?: number;
}

export interface ColumnDrift {
  column: string;
  test: DriftTest;
  /** KS D, chi-square X², z, or the distance. */
  statistic: number;
  p_value: number | null;
  /** Corrected p-value < threshold, or distance >= threshold. */
  drifted: boolean;
  p_value_adjusted: number | null;
  distance: number | null;
  threshold: number;
  psi: number;
  n_reference: number;
  n_current: number;
  histogram: ColumnHistogram;
}

export interface DriftReport {
  /** drifted_share >= share */
  drift: boolean;
  /** The threshold of the p-value tests. */
  alpha: number;
  correction: Correction;
  method: DriftMethod;
  /** The threshold every column used, or null when they differ (p-value tests and distances together). */
  threshold: number | null;
  share: number;
  /** Drifted columns / compared columns. */
  drifted_share: number;
  columns: ColumnDrift[];
}

function checkOptions(o: DriftOptions): void {
  const positive = (x: number | undefined) => x === undefined || (Number.isFinite(x) && x > 0);
  if (!positive(o.threshold)) throw new DriftMethodError(`drift threshold must be a positive number, got ${o.threshold}`);
  if (!(positive(o.alpha) && (o.alpha ?? 0) < 1)) throw new DriftMethodError(`drift alpha must be between 0 and 1, got ${o.alpha}`);
  if (o.share !== undefined && !(o.share > 0 && o.share <= 1))
    throw new DriftMethodError(`drift share must be above 0 and at most 1, got ${o.share}`);
}

function columnSamples(reference: CsvTable, current: CsvTable, column: string): ColumnSamples {
  return reference.isNumeric(column)
    ? { numeric: true, reference: reference.numbers(column), current: current.numbers(column) }
    : { numeric: false, reference: reference.strings(column), current: current.strings(column) };
}

/**
 * Compares each column of `current` with `reference` (the reference decides
 * whether a column is numeric) with the test `method` picks, corrects the
 * p-values across columns, and calls the data set drifted when at least
 * `share` of the columns drifted.
 */
export function detectDrift(reference: CsvTable, current: CsvTable, options: DriftOptions = {}): DriftReport {
  checkOptions(options);
  const method = options.method ?? 'auto';
  const alpha = options.threshold ?? options.alpha ?? 0.05;
  const correction = options.correction ?? 'bh';
  const share = options.share ?? 0.5;
  const columns = options.columns ?? [...reference.columns];
  for (const column of columns) {
    if (!reference.has(column)) throw new DataValidationError(`${reference.file}: missing column '${column}'`);
    if (!current.has(column)) throw new DataValidationError(`${current.file}: missing column '${column}'`);
  }
  if (!options.columns) {
    const extra = current.columns.filter((c) => !reference.has(c));
    if (extra.length > 0) throw new DataValidationError(`${current.file}: extra column '${extra[0]}' not in ${reference.file}`);
  }
  const raw = columns.map((column) => {
    const data = columnSamples(reference, current, column);
    const profile: ColumnProfile = {
      column,
      numeric: data.numeric,
      distinct: distinctUpTo(AUTO_MAX_CATEGORICAL_DISTINCT, data.reference, data.current),
      referenceRows: data.reference.length,
      source: reference.file,
    };
    const test = chooseTest(method, profile);
    if (P_VALUE_TESTS.has(test) && alpha >= 1) {
      throw new DriftMethodError(
        `drift threshold ${alpha} is no significance level (it must be below 1), and column '${column}' gets the p-value test '${test}'`,
      );
    }
    return {
      column,
      test,
      ...runColumnTest(test, data),
      psi: psiOf(data),
      n_reference: data.reference.length,
      n_current: data.current.length,
      histogram: columnHistogram(data, comparedAsCategories(profile)),
    };
  });
  const tested = raw.filter((r) => r.pValue !== null);
  const adjusted = new Map(
    adjustPValues(
      tested.map((r) => r.pValue!),
      correction,
    ).map((p, i) => [tested[i]!, p]),
  );
  const result = raw.map((r): ColumnDrift => {
    const threshold = P_VALUE_TESTS.has(r.test) ? alpha : (options.threshold ?? DEFAULT_THRESHOLD[r.test]);
    const pAdjusted = adjusted.get(r) ?? null;
    return {
      column: r.column,
      test: r.test,
      statistic: r.statistic,
      p_value: r.pValue,
      drifted: pAdjusted !== null ? pAdjusted < threshold : r.distance! >= threshold,
      p_value_adjusted: pAdjusted,
      distance: r.distance,
      threshold,
      psi: r.psi,
      n_reference: r.n_reference,
      n_current: r.n_current,
      histogram: r.histogram,
    };
  });
  const thresholds = new Set(result.map((c) => c.threshold));
  const driftedShare = result.length === 0 ? 0 : result.filter((c) => c.drifted).length / result.length;
  return {
    drift: result.length > 0 && driftedShare >= share,
    alpha,
    correction,
    method,
    threshold: thresholds.size === 1 ? [...thresholds][0]! : null,
    share,
    drifted_share: driftedShare,
    columns: result,
  };
}
