/**
 * `numpy.histogram_bin_edges(values, bins='sturges')`: ceil(log2(n) + 1) equal
 * bins over [min, max] (a constant sample gets one bin over [v - 0.5, v + 0.5]),
 * edges from numpy's linspace (start + i * step, the last edge exactly max).
 */
export function sturgesBinEdges(values: ArrayLike<number>): number[] {
  const n = values.length;
  if (n === 0) throw new RangeError('histogram: no values');
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new RangeError('histogram: a value is not finite');
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const width = (hi - lo) / (Math.log2(n) + 1);
  const [first, last] = lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
  const bins = width ? Math.ceil((last - first) / width) : 1;
  return linspace(first, last, bins + 1);
}

/** numpy.linspace(start, stop, num) bit for bit. */
export function linspace(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => (step === 0 ? (i / (num - 1)) * (stop - start) : i * step) + start);
  out[num - 1] = stop;
  return out;
}

/**
 * Counts per bin as `numpy.histogram(values, edges)`: bin i holds
 * edges[i] <= x < edges[i + 1], the last bin also its right edge; values
 * outside the edges are not counted.
 */
export function histogramCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const bins = edges.length - 1;
  if (bins < 1) throw new RangeError('histogram: need at least two edges');
  const counts = new Array<number>(bins).fill(0);
  const last = edges[bins]!;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (!(v >= edges[0]! && v <= last)) continue;
    if (v === last) {
      counts[bins - 1]!++;
      continue;
    }
    // the largest i with edges[i] <= v
    let lo = 0;
    let hi = bins;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (edges[mid]! <= v) lo = mid;
      else hi = mid;
    }
    counts[lo]!++;
  }
  return counts;
}
