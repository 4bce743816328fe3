import { standardDeviation } from 'simple-statistics';
import { chiSquareTwoSample } from '../stats/chi-square.ts';
import { histogramCounts, sturgesBinEdges } from '../stats/histogram.ts';
import { jensenShannonDistance } from '../stats/jensen-shannon.ts';
import { ks2samp } from '../stats/ks-two-sample.ts';
import { proportionZTest } from '../stats/proportion-z-test.ts';
import { psiCategorical, psiNumeric } from '../stats/psi.ts';
import { wassersteinDistance } from '../stats/wasserstein.ts';
import { categoryCounts, distinctUpTo, labels, type ColumnSamples } from './column-samples.ts';
import type { DriftTest } from './drift-methods.ts';

export interface ColumnTestResult {
  /** KS D, chi-square X², z, or the distance itself. */
  statistic: number;
  /** For p-value tests (ks, chi2, z), else null. */
  pValue: number | null;
  /** For distances (wasserstein, jensenshannon, psi), else null. */
  distance: number | null;
}

/** Evidently's floor for the reference's standard deviation, so a constant reference does not divide by 0. */
const MIN_NORM = 0.001;
/** Evidently bins a numeric column for Jensen-Shannon only when its reference has more distinct values than this. */
const JS_MAX_VALUES_AS_CATEGORIES = 20;

/** simple-statistics reads only `length` and indices, so a typed array does for its number[]. */
const asNumbers = (x: Float64Array): number[] => x as unknown as number[];

/**
 * Evidently's normed Wasserstein distance: scipy's distance divided by the
 * reference's population standard deviation (at least 0.001), so it reads in
 * reference standard deviations whatever the column's unit.
 */
export function normedWasserstein(reference: Float64Array, current: Float64Array): number {
  return wassersteinDistance(reference, current) / Math.max(standardDeviation(asNumbers(reference)), MIN_NORM);
}

/**
 * Evidently's Jensen-Shannon distance of two samples (natural logarithm, no
 * smoothing: a category on one side only is fine). A numeric column whose
 * reference has more than 20 distinct values is binned on numpy's Sturges
 * edges over both samples; otherwise each value is a category.
 */
export function jensenShannonOfSamples(data: ColumnSamples): number {
  if (data.numeric && distinctUpTo(JS_MAX_VALUES_AS_CATEGORIES, data.reference) > JS_MAX_VALUES_AS_CATEGORIES) {
    const pooled = new Float64Array(data.reference.length + data.current.length);
    pooled.set(data.reference);
    pooled.set(data.current, data.reference.length);
    const edges = sturgesBinEdges(pooled);
    return jensenShannonDistance(histogramCounts(data.reference, edges), histogramCounts(data.current, edges));
  }
  const { reference, current } = labels(data);
  const counts = categoryCounts(reference, current, data.numeric);
  return jensenShannonDistance(counts.reference, counts.current);
}

/** Two-sided z-test on a binary column: the share of values other than the first category, reference against current. */
function zTestOfSamples(data: ColumnSamples): ColumnTestResult {
  const { reference, current } = labels(data);
  const counts = categoryCounts(reference, current, data.numeric);
  const others = (c: number[]) => c.slice(1).reduce((s, x) => s + x, 0);
  const z = proportionZTest(others(counts.reference), reference.length, others(counts.current), current.length);
  return { statistic: z.statistic, pValue: z.pValue, distance: null };
}

const distance = (d: number): ColumnTestResult => ({ statistic: d, pValue: null, distance: d });

/** Runs one drift test on a column (the caller has checked the test applies to it, see chooseTest). */
export function runColumnTest(test: DriftTest, data: ColumnSamples): ColumnTestResult {
  switch (test) {
    case 'ks': {
      if (!data.numeric) throw new TypeError('ks needs a numeric column');
      const r = ks2samp(data.reference, data.current);
      return { statistic: r.statistic, pValue: r.pValue, distance: null };
    }
    case 'chi2': {
      const { reference, current } = labels(data);
      const r = chiSquareTwoSample(reference, current);
      return { statistic: r.statistic, pValue: r.pValue, distance: null };
    }
    case 'z':
      return zTestOfSamples(data);
    case 'wasserstein':
      if (!data.numeric) throw new TypeError('wasserstein needs a numeric column');
      return distance(normedWasserstein(data.reference, data.current));
    case 'jensenshannon':
      return distance(jensenShannonOfSamples(data));
    case 'psi':
      return distance(psiOf(data));
  }
}

/** Population Stability Index: reference deciles for numbers, categories for text. */
export const psiOf = (data: ColumnSamples): number =>
  data.numeric ? psiNumeric(data.reference, data.current) : psiCategorical(data.reference, data.current);
