/** scipy.special.rel_entr: x log(x / y), 0 when x = 0, infinite when only y = 0. */
function relativeEntropy(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Infinity;
}

/**
 * Jensen-Shannon distance between two discrete distributions, as
 * `scipy.spatial.distance.jensenshannon(p, q, base)`: both are normalised to
 * sum to 1, then sqrt((KL(p || m) + KL(q || m)) / 2) with m = (p + q) / 2.
 * Natural logarithm unless `base` is given (base 2 bounds it by 1, base e by sqrt(ln 2)).
 * A category absent from one side is fine (m is positive wherever p or q is).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  if (p.length !== q.length) throw new RangeError(`jensenshannon: distributions of different lengths (${p.length} and ${q.length})`);
  const sum = (x: ArrayLike<number>, which: string): number => {
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      if (!(x[i]! >= 0 && Number.isFinite(x[i]!))) throw new RangeError(`jensenshannon: ${which} has a negative or non-finite entry`);
      s += x[i]!;
    }
    if (!(s > 0)) throw new RangeError(`jensenshannon: ${which} sums to 0`);
    return s;
  };
  const sp = sum(p, 'p');
  const sq = sum(q, 'q');
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    const qi = q[i]! / sq;
    const m = (pi + qi) / 2;
    left += relativeEntropy(pi, m);
    right += relativeEntropy(qi, m);
  }
  let js = left + right;
  if (base !== undefined) js /= Math.log(base);
  // Rounding can leave a hair below 0 for identical inputs; scipy would return NaN there.
  return Math.sqrt(Math.max(0, js / 2));
}
