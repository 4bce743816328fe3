/**
 * First Wasserstein (earth mover's) distance between two one-dimensional
 * empirical distributions, as `scipy.stats.wasserstein_distance(u, v, u_weights, v_weights)`:
 * the area between the two CDFs, sum over consecutive pooled values of
 * |F_u(x) - F_v(x)| * (x_next - x).
 */
export function wassersteinDistance(
  u: ArrayLike<number>,
  v: ArrayLike<number>,
  uWeights?: ArrayLike<number>,
  vWeights?: ArrayLike<number>,
): number {
  const a = weightedSorted(u, uWeights, 'first');
  const b = weightedSorted(v, vWeights, 'second');
  const n = a.values.length;
  const m = b.values.length;
  let i = 0;
  let j = 0;
  // Neumaier-compensated sum: every term is >= 0, so this is exact to a few ulps.
  let sum = 0;
  let carry = 0;
  // Walk the pooled values in order (a merge of the two sorted samples); between
  // one distinct value x and the next, both CDFs are constant.
  while (i < n || j < m) {
    const x = j >= m || (i < n && a.values[i]! <= b.values[j]!) ? a.values[i]! : b.values[j]!;
    while (i < n && a.values[i] === x) i++;
    while (j < m && b.values[j] === x) j++;
    if (i >= n && j >= m) break;
    const next = j >= m || (i < n && a.values[i]! <= b.values[j]!) ? a.values[i]! : b.values[j]!;
    const term = Math.abs(a.cdf[i]! / a.total - b.cdf[j]! / b.total) * (next - x);
    const t = sum + term;
    carry += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
  }
  return sum + carry;
}

interface WeightedSample {
  values: Float64Array;
  /** cdf[k]: total weight of the k smallest values (cdf[0] = 0), as scipy's cumsum. */
  cdf: Float64Array;
  total: number;
}

function weightedSorted(values: ArrayLike<number>, weights: ArrayLike<number> | undefined, which: string): WeightedSample {
  const n = values.length;
  if (n === 0) throw new RangeError(`wasserstein: the ${which} sample is empty`);
  for (let k = 0; k < n; k++)
    if (!Number.isFinite(values[k]!)) throw new RangeError(`wasserstein: the ${which} sample has a value that is not finite`);
  if (weights === undefined) {
    const sorted = Float64Array.from(values).sort();
    return { values: sorted, cdf: Float64Array.from({ length: n + 1 }, (_, k) => k), total: n };
  }
  if (weights.length !== n) throw new RangeError(`wasserstein: the ${which} sample has ${n} values but ${weights.length} weights`);
  for (let k = 0; k < n; k++)
    if (!(weights[k]! >= 0 && Number.isFinite(weights[k]!)))
      throw new RangeError(`wasserstein: the ${which} sample's weights must be finite and non-negative`);
  const order = Array.from({ length: n }, (_, k) => k).sort((p, q) => values[p]! - values[q]!);
  const cdf = new Float64Array(n + 1);
  for (let k = 0; k < n; k++) cdf[k + 1] = cdf[k]! + weights[order[k]!]!;
  const total = cdf[n]!;
  if (!(total > 0 && Number.isFinite(total)))
    throw new RangeError(`wasserstein: the ${which} sample's weights must sum to a positive finite value`);
  return { values: Float64Array.from(order, (k) => values[k]!), cdf, total };
}
