import { binomialDistribution } from 'simple-statistics';

/** McNemar's exact test on paired outcomes of two classifiers scored on the same rows. */
export interface McNemarResult {
  /** Rows only the first classifier got right. */
  firstOnly: number;
  /** Rows only the second classifier got right. */
  secondOnly: number;
  /** Two-sided exact p-value (1 when there are no discordant pairs). */
  pValue: number;
}

/**
 * Two-sided exact binomial test of `k` successes in `n` trials at p = 1/2,
 * as `scipy.stats.binomtest(k, n, 0.5).pvalue`: the distribution is
 * symmetric, so the two-sided p-value is twice the smaller tail, at most 1.
 * The tail comes from simple-statistics' binomial distribution, which is
 * computed through log-gamma (no overflow) and is complete on the lower half.
 */
export function binomialTestHalf(k: number, n: number): number {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || k > n)
    throw new RangeError(`binomial test needs 0 <= k <= n integers, got k=${k}, n=${n}`);
  if (n === 0) return 1;
  const low = Math.min(k, n - k);
  if (2 * low === n) return 1;
  const cells = binomialDistribution(n, 0.5);
  if (!cells) throw new RangeError(`binomial test: ${n} trials are more than the distribution table holds`);
  let tail = 0;
  // Smallest terms first: the sum keeps the digits of a tiny tail.
  for (let x = 0; x <= low; x++) tail += cells[x] ?? 0;
  return Math.min(1, 2 * tail);
}

/**
 * McNemar's exact test: only the discordant pairs carry information about
 * which classifier is better; under "equally accurate" each such row is a
 * fair coin. `firstCorrect[i]` / `secondCorrect[i]` say whether each got row i right.
 */
export function mcnemarExact(firstCorrect: readonly boolean[], secondCorrect: readonly boolean[]): McNemarResult {
  if (firstCorrect.length !== secondCorrect.length)
    throw new RangeError(`McNemar needs paired rows: ${firstCorrect.length} vs ${secondCorrect.length}`);
  let firstOnly = 0;
  let secondOnly = 0;
  for (let i = 0; i < firstCorrect.length; i++) {
    if (firstCorrect[i] && !secondCorrect[i]) firstOnly++;
    else if (!firstCorrect[i] && secondCorrect[i]) secondOnly++;
  }
  return { firstOnly, secondOnly, pValue: binomialTestHalf(firstOnly, firstOnly + secondOnly) };
}
