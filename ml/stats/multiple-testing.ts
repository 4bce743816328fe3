export type Correction = 'none' | 'bonferroni' | 'bh';
export const CORRECTIONS: readonly Correction[] = ['none', 'bonferroni', 'bh'];

/**
 * Adjusted p-values for m simultaneous tests: Bonferroni (p * m) controls the
 * family-wise error rate; Benjamini-Hochberg controls the false discovery rate
 * (and, when no column has drifted, the family-wise rate as well). Same values
 * as statsmodels' `multipletests(method='bonferroni' | 'fdr_bh')`.
 */
export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  const m = pValues.length;
  if (correction === 'none') return [...pValues];
  if (correction === 'bonferroni') return pValues.map((p) => Math.min(1, p * m));
  const order = pValues.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let k = m - 1; k >= 0; k--) {
    const [p, i] = order[k]!;
    running = Math.min(running, (p * m) / (k + 1));
    adjusted[i] = Math.min(1, running);
  }
  return adjusted;
}
