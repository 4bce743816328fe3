import { equalIntervalBreaks, extent } from 'simple-statistics';
import { histogramCounts } from '../stats/histogram.ts';
import { categoryCounts, labels, type ColumnSamples } from './column-samples.ts';

/** What the drift report page draws per column: counts (not shares) of both samples over shared bins or categories. */
export type ColumnHistogram =
  | { kind: 'numeric'; edges: number[]; reference: number[]; current: number[] }
  | { kind: 'categorical'; categories: string[]; reference: number[]; current: number[] };

const MIN_BINS = 10;
const MAX_BINS = 20;
/** Categories beyond the most frequent ones are drawn as one bar. */
const MAX_CATEGORIES = 20;
export const OTHER_CATEGORY = '(other)';

const asNumbers = (x: Float64Array): number[] => x as unknown as number[];

/** Equal-width bins over both samples together; Sturges' count (ceil(log2 n) + 1) held to 10-20 bins. */
function numericHistogram(reference: Float64Array, current: Float64Array): ColumnHistogram {
  const [refLo, refHi] = extent(asNumbers(reference));
  const [curLo, curHi] = extent(asNumbers(current));
  const lo = Math.min(refLo, curLo);
  const hi = Math.max(refHi, curHi);
  const bins = Math.min(MAX_BINS, Math.max(MIN_BINS, Math.ceil(Math.log2(reference.length + current.length) + 1)));
  // One bin around a constant column, as numpy does.
  const edges = lo === hi ? [lo - 0.5, hi + 0.5] : equalIntervalBreaks([lo, hi], bins);
  return { kind: 'numeric', edges, reference: histogramCounts(reference, edges), current: histogramCounts(current, edges) };
}

/** Counts per category; past the 20 most frequent (both samples together), the rest are summed as '(other)'. */
function categoricalHistogram(data: ColumnSamples): ColumnHistogram {
  const { reference, current } = labels(data);
  const all = categoryCounts(reference, current, data.numeric);
  if (all.categories.length <= MAX_CATEGORIES) return { kind: 'categorical', ...all };
  const order = all.categories
    .map((_, i) => i)
    .sort((a, b) => all.reference[b]! + all.current[b]! - (all.reference[a]! + all.current[a]!) || a - b);
  const kept = order.slice(0, MAX_CATEGORIES - 1).sort((a, b) => a - b);
  const rest = order.slice(MAX_CATEGORIES - 1);
  const sum = (counts: number[]) => rest.reduce((s, i) => s + counts[i]!, 0);
  return {
    kind: 'categorical',
    categories: [...kept.map((i) => all.categories[i]!), OTHER_CATEGORY],
    reference: [...kept.map((i) => all.reference[i]!), sum(all.reference)],
    current: [...kept.map((i) => all.current[i]!), sum(all.current)],
  };
}

/** The histogram of a column, drawn as categories when it is compared as categories. */
export function columnHistogram(data: ColumnSamples, asCategories: boolean): ColumnHistogram {
  return data.numeric && !asCategories ? numericHistogram(data.reference, data.current) : categoricalHistogram(data);
}
