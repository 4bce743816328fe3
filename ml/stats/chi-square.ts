import { chi2Sf } from './gamma.ts';

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Chi-square test of homogeneity of two samples of categories, as
 * `scipy.stats.chi2_contingency(table)` on the 2 x k table of counts
 * (categories seen in neither sample are dropped; Yates' correction when dof = 1, as scipy).
 */
export function chiSquareTwoSample(reference: readonly string[], current: readonly string[]): ChiSquareResult {
  const categories = [...new Set([...reference, ...current])].sort();
  const count = (values: readonly string[]) => {
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    return categories.map((c) => counts.get(c) ?? 0);
  };
  const rows = [count(reference), count(current)];
  const total = reference.length + current.length;
  const rowSums = rows.map((r) => r.reduce((a, b) => a + b, 0));
  const colSums = categories.map((_, j) => rows[0]![j]! + rows[1]![j]!);
  const dof = categories.length - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof: 0 };
  let statistic = 0;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < categories.length; j++) {
      const expected = (rowSums[i]! * colSums[j]!) / total;
      let diff = rows[i]![j]! - expected;
      if (dof === 1) diff = Math.sign(diff) * Math.max(0, Math.abs(diff) - Math.min(0.5, Math.abs(diff)));
      statistic += (diff * diff) / expected;
    }
  }
  return { statistic, pValue: chi2Sf(statistic, dof), dof };
}
