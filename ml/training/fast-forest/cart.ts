/**
 * A CART classifier (Gini) that picks the same split as ml-cart's
 * `DecisionTreeClassifier` for the same candidate set, in O(n log n) per
 * feature instead of ml-cart's O(n^2): every feature is sorted once at the
 * root (stably, as ml-cart sorts each node), nodes partition the sorted lists
 * in O(n), and each candidate threshold is scored from prefix class counts.
 * Trees are emitted in ml-cart's JSON shape, so `RandomForestClassifier.load()`
 * (ml-random-forest) reads them.
 */

export interface CartOptions {
  /** ml-cart's maxDepth. @defaultValue Infinity */
  maxDepth: number;
  /** ml-cart's minNumSamples: a node with this many rows or fewer is a leaf. @defaultValue 3 */
  minNumSamples: number;
  /** ml-cart's gainThreshold: a split must gain more than this. @defaultValue 0.01 */
  gainThreshold: number;
  /** Features tried at each split (drawn afresh per node); >= d tries all, as ml-cart. */
  maxFeatures: number;
  /** Candidate splits leaving fewer rows on a side are not considered. @defaultValue 1 */
  minSamplesLeaf: number;
}

/** ml-cart's serialized node: internal nodes carry the split, leaves the class distribution. */
export type CartNode =
  | { splitValue: number; splitColumn: number; gain: number; numberSamples: number; left: CartNode; right: CartNode }
  | { distribution: number[][] };

/** `columns[f][row]`: feature-major data, so one feature's values are contiguous. */
export interface CartData {
  columns: Float64Array[];
  y: Int32Array;
  nClasses: number;
}

/** ml-cart's leaf distribution: 1/n added once per row (the same floats, not count/n). */
function distribution(counts: Int32Array, n: number): number[][] {
  let top = 0;
  for (let k = 0; k < counts.length; k++) if (counts[k]! > 0) top = k;
  const unit = 1 / n;
  const row: number[] = [];
  for (let k = 0; k <= top; k++) {
    let p = 0;
    for (let i = 0; i < counts[k]!; i++) p += unit;
    row.push(p);
  }
  return [row];
}

function gini(counts: Int32Array | number[], n: number): number {
  if (n === 0) return 0;
  let sum = 0;
  for (let k = 0; k < counts.length; k++) {
    const p = counts[k]! / n;
    sum += p * p;
  }
  return 1 - sum;
}

/** ml-cart's class share: 1/n added `count` times (not count/n: the floats differ in the last bits). */
function repeatedShare(count: number, n: number): number {
  const unit = 1 / n;
  let p = 0;
  for (let i = 0; i < count; i++) p += unit;
  return p;
}

function giniAsMlCart(counts: ArrayLike<number>, n: number): number {
  if (n === 0) return 0;
  let sum = 0;
  for (let k = 0; k < counts.length; k++) {
    const p = repeatedShare(counts[k]!, n);
    sum += p * p;
  }
  return 1 - sum;
}

/**
 * The gain exactly as ml-cart computes it, float for float. Used to settle
 * near-ties (two candidates can have the same gain mathematically; ml-cart's
 * rounding then decides) and for the chosen split, whose gain ml-cart
 * compares with the threshold and the parent's gain.
 */
function gainAsMlCart(counts: Int32Array, n: number, leftCounts: ArrayLike<number>, nLeft: number): number {
  const right = Array.from(counts, (c, k) => c - leftCounts[k]!);
  const nRight = n - nLeft;
  let splits = 0.0;
  splits += (giniAsMlCart(right, nRight) * nRight) / n;
  splits += (giniAsMlCart(leftCounts, nLeft) * nLeft) / n;
  return giniAsMlCart(counts, n) - splits;
}

const NEAR_TIE = 1e-12;

/**
 * Per-feature sample orders from orders of the whole data set, in O(m) per
 * feature instead of a sort per tree: each row, in its global order, expands
 * to its positions in the sample (a bootstrap repeats rows). Ties between
 * different rows keep the global order (by row), not the sample position.
 */
export function expandPresorted(presorted: Int32Array[], rows: Int32Array, nRows: number): Int32Array[] {
  const m = rows.length;
  const start = new Int32Array(nRows + 1);
  for (let p = 0; p < m; p++) start[rows[p]! + 1]!++;
  for (let r = 0; r < nRows; r++) start[r + 1]! += start[r]!;
  const positions = new Int32Array(m);
  const fill = start.slice(0, nRows);
  for (let p = 0; p < m; p++) positions[fill[rows[p]!]!++] = p;
  return presorted.map((global) => {
    const out = new Int32Array(m);
    let o = 0;
    for (let i = 0; i < global.length; i++) {
      const r = global[i]!;
      for (let q = start[r]!; q < start[r + 1]!; q++) out[o++] = positions[q]!;
    }
    return out;
  });
}

/**
 * Builds one tree on the sample `rows` (indices into the data, duplicates
 * allowed — a bootstrap sample; their order is ml-cart's row order).
 */
export function buildTree(
  data: CartData,
  rows: Int32Array,
  options: CartOptions,
  random: () => number,
  presorted?: Int32Array[],
): CartNode {
  const m = rows.length;
  const d = data.columns.length;
  const K = data.nClasses;
  // Positions 0..m-1 in sample order identify rows; each feature's positions sorted stably by value.
  const label = new Int32Array(m);
  for (let p = 0; p < m; p++) label[p] = data.y[rows[p]!]!;
  const value = data.columns.map((col) => {
    const v = new Float64Array(m);
    for (let p = 0; p < m; p++) v[p] = col[rows[p]!]!;
    return v;
  });
  // One sorted position array per feature for the whole tree; a node is the
  // same segment [start, end) of every array, each segment sorted by its feature.
  const order = presorted
    ? expandPresorted(presorted, rows, data.y.length)
    : value.map((v) => Int32Array.from({ length: m }, (_, p) => p).sort((a, b) => v[a]! - v[b]! || a - b));
  const goesLeft = new Uint8Array(m);
  const scratch = new Int32Array(m);
  const features = Int32Array.from({ length: d }, (_, f) => f);
  const left = new Int32Array(K);
  const runStartCounts = new Int32Array(K);
  const right = new Int32Array(K);

  const grow = (start: number, end: number, counts: Int32Array, depth: number, parentGain: number | null): CartNode => {
    const n = end - start;
    if (n <= options.minNumSamples) return { distribution: distribution(counts, n) };

    // Features to try at this node: all (ml-cart) or a fresh random subset, tried in column order.
    let tried: Int32Array = features;
    if (options.maxFeatures < d) {
      const pool = Int32Array.from(features);
      for (let i = 0; i < options.maxFeatures; i++) {
        const j = i + Math.floor(random() * (d - i));
        [pool[i], pool[j]] = [pool[j]!, pool[i]!];
      }
      tried = pool.slice(0, options.maxFeatures).sort();
    }

    const parentGini = gini(counts, n);
    let bestGain = -Infinity;
    let bestColumn = -1;
    let bestValue = 0;
    let bestLeft = 0;
    let bestCounts: Int32Array | null = null;
    let bestExact: number | null = null;
    for (const f of tried) {
      const list = order[f]!;
      const v = value[f]!;
      left.fill(0);
      runStartCounts.fill(0);
      let runStart = 0;
      for (let i = 0; i < n; i++) {
        const p = list[start + i]!;
        if (i > 0) {
          const prev = list[start + i - 1]!;
          if (v[p] !== v[prev]) {
            runStart = i;
            runStartCounts.set(left);
          }
          if (label[prev] !== label[p]) {
            // ml-cart's candidate: the mean of the two neighbours; rows with x < t go left.
            const threshold = (v[prev]! + v[p]!) / 2;
            const nLeft = threshold > v[prev]! ? i : runStart;
            const leftCounts = nLeft === i ? left : runStartCounts;
            const nRight = n - nLeft;
            if (nLeft >= options.minSamplesLeaf && nRight >= options.minSamplesLeaf) {
              for (let k = 0; k < K; k++) right[k] = counts[k]! - leftCounts[k]!;
              const gain = parentGini - ((gini(right, nRight) * nRight) / n + (gini(leftCounts, nLeft) * nLeft) / n);
              let better = gain > bestGain;
              let exact: number | null = null;
              if (bestCounts && Math.abs(gain - bestGain) <= NEAR_TIE * Math.max(1, Math.abs(bestGain))) {
                bestExact ??= gainAsMlCart(counts, n, bestCounts, bestLeft);
                exact = gainAsMlCart(counts, n, leftCounts, nLeft);
                better = exact > bestExact;
              }
              if (better) {
                bestGain = gain;
                bestColumn = f;
                bestValue = threshold;
                bestLeft = nLeft;
                bestCounts = Int32Array.from(leftCounts);
                bestExact = exact;
              }
            }
          }
        }
        left[label[p]!]!++;
      }
    }

    if (bestCounts) bestGain = bestExact ?? gainAsMlCart(counts, n, bestCounts, bestLeft);
    const splits =
      bestColumn >= 0 &&
      depth < options.maxDepth &&
      bestGain > options.gainThreshold &&
      bestGain !== parentGain &&
      bestLeft > 0 &&
      bestLeft < n;
    if (!splits) return { distribution: distribution(counts, n) };

    // Stable in-place partition of every feature's segment: left rows first, order kept.
    const splitValues = value[bestColumn]!;
    const first = order[0]!;
    for (let i = start; i < end; i++) goesLeft[first[i]!] = splitValues[first[i]!]! < bestValue ? 1 : 0;
    for (const list of order) {
      let li = start;
      let ri = 0;
      for (let i = start; i < end; i++) {
        const p = list[i]!;
        if (goesLeft[p]) list[li++] = p;
        else scratch[ri++] = p;
      }
      list.set(scratch.subarray(0, ri), li);
    }
    const leftCounts = bestCounts!;
    const rightCounts = Int32Array.from(counts, (c, k) => c - leftCounts[k]!);
    const mid = start + bestLeft;
    const leftNode = grow(start, mid, leftCounts, depth + 1, bestGain);
    const rightNode = grow(mid, end, rightCounts, depth + 1, bestGain);
    return { splitValue: bestValue, splitColumn: bestColumn, gain: bestGain, numberSamples: n, left: leftNode, right: rightNode };
  };

  const rootCounts = new Int32Array(K);
  for (let p = 0; p < m; p++) rootCounts[label[p]!]!++;
  return grow(0, m, rootCounts, 0, null);
}
