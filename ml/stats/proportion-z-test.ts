import { chi2Sf } from './gamma.ts';

export interface ProportionZResult {
  /** (p1 - p2) / sqrt(P (1 - P) (1/n1 + 1/n2)) with the pooled proportion P. */
  statistic: number;
  /** Two-sided: 2 * (1 - Phi(|z|)), computed as the chi-square(1) survival of z² so that small p-values keep their digits. */
  pValue: number;
}

/**
 * Two-sided z-test for the difference of two independent proportions with the
 * pooled variance (Evidently's `z` test for binary columns; the same as
 * statsmodels' `proportions_ztest`). When both samples are all one kind
 * (pooled proportion 0 or 1) there is nothing to test: z = 0, p = 1.
 */
export function proportionZTest(successes1: number, n1: number, successes2: number, n2: number): ProportionZResult {
  for (const [x, n] of [
    [successes1, n1],
    [successes2, n2],
  ] as const) {
    if (!(Number.isInteger(n) && n > 0 && Number.isInteger(x) && x >= 0 && x <= n))
      throw new RangeError(`proportion z-test: ${x} successes out of ${n} is not a valid count`);
  }
  const p1 = successes1 / n1;
  const p2 = successes2 / n2;
  const pooled = (successes1 + successes2) / (n1 + n2);
  if (pooled === 0 || pooled === 1) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return { statistic: z, pValue: Math.min(1, chi2Sf(z * z, 1)) };
}
