import type { CsvTable } from '../data/csv-table.ts';

/** A column's histogram as the drift report stores it (or as computed here for reports that lack it). */
export type StoredHistogram =
  | { kind: 'numeric'; edges: number[]; reference: number[]; current: number[] }
  | { kind: 'categorical'; categories: string[]; reference: number[]; current: number[] };

/** One column of a drift report, whatever version of the report wrote it. */
export interface DriftColumnView {
  column: string;
  /** e.g. ks, chi2, psi, wasserstein */
  test: string;
  statistic: number | null;
  p_value: number | null;
  p_value_adjusted: number | null;
  /** A distance (PSI, Wasserstein, ...) when the test gives one instead of a p-value. */
  distance: number | null;
  threshold: number | null;
  drifted: boolean;
  histogram: StoredHistogram | null;
}

export interface DriftReportView {
  drift: boolean;
  method: string | null;
  threshold: number | null;
  /** The rule: the data set drifted when at least this share of its columns drifted (null in reports written before the rule was stored). */
  share: number | null;
  /** How many columns drifted. */
  drifted_columns: number;
  /** The share of columns that drifted (null when the report has no column). */
  drifted_share: number | null;
  columns: DriftColumnView[];
  /** Where the compared data sets were, when the report says (paths or artifact URIs). */
  sources: { reference: string; current: string } | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const numbers = (v: unknown): number[] | null =>
  Array.isArray(v) && v.every((n) => typeof n === 'number' && Number.isFinite(n)) ? (v as number[]) : null;

/** A stored histogram only when it has the documented shape and its lengths agree; anything else is treated as missing. */
export function parseHistogram(value: unknown): StoredHistogram | null {
  if (!value || typeof value !== 'object') return null;
  const h = value as Record<string, unknown>;
  const reference = numbers(h.reference);
  const current = numbers(h.current);
  if (!reference || !current || reference.length !== current.length || reference.length === 0) return null;
  if (h.kind === 'numeric') {
    const edges = numbers(h.edges);
    return edges && edges.length === reference.length + 1 ? { kind: 'numeric', edges, reference, current } : null;
  }
  if (h.kind === 'categorical' && Array.isArray(h.categories) && h.categories.length === reference.length) {
    return { kind: 'categorical', categories: h.categories.map(String), reference, current };
  }
  return null;
}

/**
 * Reads a stored drift report defensively: older reports (test, statistic,
 * p_value, p_value_adjusted, alpha) and newer ones (method, threshold, share,
 * per-column histogram, distance) alike; a field that is missing or malformed
 * becomes null rather than an error.
 */
export function driftReportView(raw: unknown): DriftReportView {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const columns = (Array.isArray(r.columns) ? r.columns : [])
    .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object')
    .map(
      (c): DriftColumnView => ({
        column: str(c.column) ?? '?',
        test: str(c.test) ?? str(c.method) ?? '?',
        statistic: num(c.statistic),
        p_value: num(c.p_value),
        p_value_adjusted: num(c.p_value_adjusted),
        distance: num(c.distance) ?? (c.p_value === undefined ? num(c.psi) : null),
        threshold: num(c.threshold) ?? num(r.threshold) ?? num(r.alpha),
        drifted: c.drifted === true,
        histogram: parseHistogram(c.histogram),
      }),
    );
  const sources = r.sources && typeof r.sources === 'object' ? (r.sources as Record<string, unknown>) : null;
  const drifted = columns.filter((c) => c.drifted).length;
  return {
    drift: r.drift === true || columns.some((c) => c.drifted),
    method: str(r.method) ?? (typeof r.correction === 'string' ? `ks/chi2, ${r.correction} corrected` : null),
    threshold: num(r.threshold) ?? num(r.alpha),
    share: num(r.share),
    drifted_columns: drifted,
    drifted_share: num(r.drifted_share) ?? (columns.length > 0 ? drifted / columns.length : null),
    columns,
    sources:
      sources && str(sources.reference) && str(sources.current)
        ? { reference: sources.reference as string, current: sources.current as string }
        : null,
  };
}

/** Bins for a numeric column when the report stored none. @defaultValue 20 */
const BINS = 20;
/** Categories drawn at most; the rarest are left out. */
const MAX_CATEGORIES = 30;

/**
 * A column's histogram from the data sets themselves, for reports written
 * before histograms were stored: equal-width bins over the range of both
 * samples for a numeric column (the reference decides the type, as in the
 * drift test), counts per category (most frequent in the reference first)
 * for a categorical one. Null when either table lacks the column.
 */
export function histogramFromTables(reference: CsvTable, current: CsvTable, column: string, bins = BINS): StoredHistogram | null {
  if (!reference.has(column) || !current.has(column)) return null;
  if (reference.isNumeric(column) && current.isNumeric(column)) {
    const ref = reference.numbers(column);
    const cur = current.numbers(column);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of [ref, cur])
      for (const n of v) {
        if (n < lo) lo = n;
        if (n > hi) hi = n;
      }
    if (!Number.isFinite(lo)) return null;
    if (hi === lo) hi = lo + 1;
    const edges = Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
    const count = (values: Float64Array) => {
      const counts = new Array<number>(bins).fill(0);
      for (const n of values) counts[Math.min(bins - 1, Math.floor(((n - lo) / (hi - lo)) * bins))]! += 1;
      return counts;
    };
    return { kind: 'numeric', edges, reference: count(ref), current: count(cur) };
  }
  const tally = (values: string[]) => values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>());
  const ref = tally(reference.strings(column));
  const cur = tally(current.strings(column));
  const categories = [...new Set([...ref.keys(), ...cur.keys()])]
    .sort((a, b) => (ref.get(b) ?? 0) - (ref.get(a) ?? 0) || (cur.get(b) ?? 0) - (cur.get(a) ?? 0) || a.localeCompare(b))
    .slice(0, MAX_CATEGORIES);
  return {
    kind: 'categorical',
    categories,
    reference: categories.map((c) => ref.get(c) ?? 0),
    current: categories.map((c) => cur.get(c) ?? 0),
  };
}

/**
 * The report as the pipeline stores it: with the data sets it compared
 * (`sources`) and a histogram for every column (the ones drift detection gave,
 * else computed here from the same tables, at the same moment, so the picture
 * matches the verdict even after the files change).
 */
export async function reportForStorage<R extends { columns: Array<{ column: string }> }>(
  report: R,
  sources: { reference: string; current: string },
  read: (source: string) => Promise<CsvTable>,
): Promise<R & { sources: { reference: string; current: string } }> {
  const missing = report.columns.filter((c) => !parseHistogram((c as { histogram?: unknown }).histogram));
  if (missing.length === 0) return { ...report, sources };
  const [reference, current] = await Promise.all([read(sources.reference), read(sources.current)]);
  const columns = report.columns.map((c) =>
    missing.includes(c) ? { ...c, histogram: histogramFromTables(reference, current, c.column) } : c,
  );
  return { ...report, columns, sources };
}
