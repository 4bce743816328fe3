/** Floor for empty bins, so that PSI stays finite (a common convention). */
const EPSILON = 1e-4;

function psiFromShares(reference: number[], current: number[]): number {
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i]!, EPSILON);
    const c = Math.max(current[i]!, EPSILON);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/**
 * Population Stability Index of a numeric column: 10 bins at the reference's
 * deciles. Rule of thumb: < 0.1 stable, 0.1-0.25 moderate shift, > 0.25 major shift.
 */
export function psiNumeric(reference: Float64Array, current: Float64Array, bins = 10): number {
  const sorted = Float64Array.from(reference).sort();
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) edges.push(sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / bins))]!);
  const cuts = [...new Set(edges)];
  const shares = (values: Float64Array): number[] => {
    const counts = new Array<number>(cuts.length + 1).fill(0);
    for (const v of values) {
      let lo = 0;
      let hi = cuts.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (v < cuts[mid]!) hi = mid;
        else lo = mid + 1;
      }
      counts[lo]!++;
    }
    return counts.map((c) => c / values.length);
  };
  return psiFromShares(shares(reference), shares(current));
}

/** PSI of a categorical column over the union of categories. */
export function psiCategorical(reference: readonly string[], current: readonly string[]): number {
  const categories = [...new Set([...reference, ...current])];
  const shares = (values: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return categories.map((c) => (counts.get(c) ?? 0) / values.length);
  };
  return psiFromShares(shares(reference), shares(current));
}
