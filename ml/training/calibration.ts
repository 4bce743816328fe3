import { ArtifactCorruptError, type ArtifactStore } from '../../engine/plugin-api.ts';

// random-forest.ts's argmax (ties to the lower index), without loading the forest library:
// the estimate (and its operator, which DAG files import) needs only this file.
const argmax = (row: readonly number[]): number => row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);

/**
 * A monotone map fitted by isotonic regression: `predict(x)` interpolates
 * linearly between the fitted points and clips outside them (scikit-learn's
 * `IsotonicRegression(out_of_bounds='clip')`, as `CalibratedClassifierCV`
 * uses it).
 */
export interface IsotonicMap {
  /** Distinct inputs, ascending. */
  x: number[];
  /** Fitted value at each input: non-decreasing. */
  y: number[];
}

/**
 * Isotonic regression by pool-adjacent-violators: equal inputs are first
 * merged into one weighted point (their mean target), then neighbouring
 * blocks that break monotonicity are pooled into their weighted mean.
 */
export function fitIsotonic(inputs: readonly number[], targets: readonly number[]): IsotonicMap {
  if (inputs.length === 0 || inputs.length !== targets.length)
    throw new RangeError(`isotonic regression needs the same non-zero number of inputs and targets: ${inputs.length} vs ${targets.length}`);
  const order = inputs.map((_, i) => i).sort((a, b) => inputs[a]! - inputs[b]!);
  const xs: number[] = [];
  const sums: number[] = [];
  const weights: number[] = [];
  for (const i of order) {
    if (xs.length > 0 && xs.at(-1) === inputs[i]) {
      sums[sums.length - 1]! += targets[i]!;
      weights[weights.length - 1]!++;
    } else {
      xs.push(inputs[i]!);
      sums.push(targets[i]!);
      weights.push(1);
    }
  }
  // Blocks of consecutive points: [first point, weight, mean]; a new point merges backwards while it violates order.
  const blocks: Array<{ start: number; weight: number; mean: number }> = [];
  for (let p = 0; p < xs.length; p++) {
    let block = { start: p, weight: weights[p]!, mean: sums[p]! / weights[p]! };
    while (blocks.length > 0 && blocks.at(-1)!.mean >= block.mean) {
      const last = blocks.pop()!;
      const weight = last.weight + block.weight;
      block = { start: last.start, weight, mean: (last.mean * last.weight + block.mean * block.weight) / weight };
    }
    blocks.push(block);
  }
  const y = new Array<number>(xs.length);
  blocks.forEach((b, k) => {
    const end = k + 1 < blocks.length ? blocks[k + 1]!.start : xs.length;
    for (let p = b.start; p < end; p++) y[p] = b.mean;
  });
  return { x: xs, y };
}

/** The fitted map at `value`: linear between fitted points, clipped beyond them. */
export function predictIsotonic(map: IsotonicMap, value: number): number {
  const { x, y } = map;
  if (value <= x[0]!) return y[0]!;
  if (value >= x.at(-1)!) return y.at(-1)!;
  let lo = 0;
  let hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (x[mid]! <= value) lo = mid;
    else hi = mid;
  }
  return y[lo]! + ((y[hi]! - y[lo]!) * (value - x[lo]!)) / (x[hi]! - x[lo]!);
}

/**
 * The calibrator stored beside a model version (`calibrator.json`). Binary:
 * `map` turns the forest's vote share of `classes[1]` into the probability of
 * that class. More classes: `map` turns the vote share of the predicted class
 * into the probability that the prediction is right.
 */
export interface Calibrator {
  format: 'updraft-calibrator@1';
  method: 'isotonic';
  kind: 'binary' | 'top_class';
  classes: string[];
  map: IsotonicMap;
  /** Rows it was fitted on (the training holdout). */
  fittedRows: number;
}

/** Fits the calibrator on holdout vote fractions (`scores[i][k]`) and true class indices. */
export function fitCalibrator(scores: readonly number[][], yTrue: readonly number[], classes: readonly string[]): Calibrator {
  const binary = classes.length === 2;
  const map = binary
    ? fitIsotonic(
        scores.map((s) => s[1]!),
        yTrue.map((c) => (c === 1 ? 1 : 0)),
      )
    : fitIsotonic(
        scores.map((s) => s[argmax(s)]!),
        scores.map((s, i) => (argmax(s) === yTrue[i] ? 1 : 0)),
      );
  return {
    format: 'updraft-calibrator@1',
    method: 'isotonic',
    kind: binary ? 'binary' : 'top_class',
    classes: [...classes],
    map,
    fittedRows: yTrue.length,
  };
}

/**
 * Calibrated probability that a prediction is right, from the predicted
 * class index and the forest's vote share of that class (the `score` a
 * logged prediction carries). Binary, as CBPE: p = calibrated P(classes[1]);
 * the prediction is right with p when it says classes[1], else with 1 − p.
 */
export function probabilityCorrect(calibrator: Calibrator, predicted: number, voteShare: number): number {
  if (calibrator.kind === 'top_class') return predictIsotonic(calibrator.map, voteShare);
  const p = predictIsotonic(calibrator.map, predicted === 1 ? voteShare : 1 - voteShare);
  return predicted === 1 ? p : 1 - p;
}

/** A calibrator read (and its SHA-256 verified) through the artifact store. */
export async function readCalibrator(artifacts: ArtifactStore, uri: string): Promise<Calibrator> {
  let calibrator: Calibrator;
  try {
    calibrator = JSON.parse((await artifacts.get(uri)).toString('utf8')) as Calibrator;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    throw new ArtifactCorruptError(uri, 'not JSON: not a calibrator');
  }
  if (calibrator?.format !== 'updraft-calibrator@1' || !Array.isArray(calibrator.map?.x))
    throw new ArtifactCorruptError(uri, 'not a calibrator');
  return calibrator;
}
