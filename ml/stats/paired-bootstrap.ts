import { quantile } from 'simple-statistics';
import { rng } from '../training/dataset.ts';

export interface PairedBootstrapOptions {
  /** Bootstrap resamples. @defaultValue 2000 */
  resamples?: number;
  /** Two-sided confidence level. @defaultValue 0.95 */
  level?: number;
  /** Seed of the resampling (mulberry32): same seed, same interval. @defaultValue 42 */
  seed?: number;
}

export interface PairedBootstrapInterval {
  /** Observed accuracy difference, second minus first. */
  difference: number;
  low: number;
  high: number;
  level: number;
  resamples: number;
  seed: number;
}

/**
 * Percentile bootstrap interval of the accuracy difference of two
 * classifiers on the same rows: each resample draws row indices with
 * replacement and keeps both outcomes of a row together (paired), so the
 * correlation between the two models is kept.
 */
export function pairedBootstrapAccuracyDifference(
  firstCorrect: readonly boolean[],
  secondCorrect: readonly boolean[],
  options: PairedBootstrapOptions = {},
): PairedBootstrapInterval {
  const n = firstCorrect.length;
  if (n === 0 || n !== secondCorrect.length)
    throw new RangeError(`paired bootstrap needs the same non-zero number of rows: ${n} vs ${secondCorrect.length}`);
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 42;
  // Per row: +1 only the second right, -1 only the first right, 0 otherwise.
  const delta = Int8Array.from({ length: n }, (_, i) => Number(secondCorrect[i]) - Number(firstCorrect[i]));
  const random = rng(seed);
  const differences = new Array<number>(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += delta[Math.floor(random() * n)]!;
    differences[b] = sum / n;
  }
  const [low, high] = quantile(differences, [(1 - level) / 2, 1 - (1 - level) / 2]) as [number, number];
  return { difference: delta.reduce((s, d) => s + d, 0) / n, low, high, level, resamples, seed };
}
