import { ks2samp } from '../stats/ks-two-sample.ts';
import { chiSquareTwoSample } from '../stats/chi-square.ts';
import { psiCategorical, psiNumeric } from '../stats/psi.ts';
import { adjustPValues, type Correction } from '../stats/multiple-testing.ts';
import type { CsvTable } from '../data/csv-table.ts';
import { DataValidationError } from '../errors.ts';

export interface DriftOptions {
  /** Columns to compare. @defaultValue every column of the reference */
  columns?: string[];
  /** Significance level of the dataset-level verdict. @defaultValue `0.05` */
  alpha?: number;
  /**
   * Multiple-testing correction across columns. `bh` (Benjamini-Hochberg) is
   * the default: with no column drifted it keeps the chance of a false
   * "drift" verdict at alpha however many columns there are, and it keeps
   * more power than Bonferroni when some columns did drift.
   * @defaultValue `'bh'`
   */
  correction?: Correction;
}

export interface ColumnDrift {
  column: string;
  test: 'ks' | 'chi2';
  statistic: number;
  p_value: number;
  /** adjusted p-value < alpha */
  drifted: boolean;
  p_value_adjusted: number;
  psi: number;
  n_reference: number;
  n_current: number;
}

export interface DriftReport {
  drift: boolean;
  alpha: number;
  correction: Correction;
  columns: ColumnDrift[];
}

/**
 * Compares each column of `current` with `reference`: two-sample KS for
 * numeric columns (the reference decides the type), chi-square for
 * categorical ones, PSI as an extra score; p-values are adjusted across
 * columns and the dataset drifted when any adjusted p-value is below alpha.
 */
export function detectDrift(reference: CsvTable, current: CsvTable, options: DriftOptions = {}): DriftReport {
  const alpha = options.alpha ?? 0.05;
  const correction = options.correction ?? 'bh';
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
    if (reference.isNumeric(column)) {
      const ref = reference.numbers(column);
      const cur = current.numbers(column);
      const ks = ks2samp(ref, cur);
      return { column, test: 'ks' as const, statistic: ks.statistic, p_value: ks.pValue, psi: psiNumeric(ref, cur), n_reference: ref.length, n_current: cur.length };
    }
    const ref = reference.strings(column);
    const cur = current.strings(column);
    const chi = chiSquareTwoSample(ref, cur);
    return { column, test: 'chi2' as const, statistic: chi.statistic, p_value: chi.pValue, psi: psiCategorical(ref, cur), n_reference: ref.length, n_current: cur.length };
  });
  const adjusted = adjustPValues(raw.map((r) => r.p_value), correction);
  const result = raw.map((r, i): ColumnDrift => ({
    column: r.column,
    test: r.test,
    statistic: r.statistic,
    p_value: r.p_value,
    drifted: adjusted[i]! < alpha,
    p_value_adjusted: adjusted[i]!,
    psi: r.psi,
    n_reference: r.n_reference,
    n_current: r.n_current,
  }));
  return { drift: result.some((r) => r.drifted), alpha, correction, columns: result };
}
