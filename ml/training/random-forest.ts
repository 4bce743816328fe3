import { RandomForestClassifier } from 'ml-random-forest';
import { trainFastForest } from './fast-forest/forest.ts';

export interface ForestOptions {
  /** @defaultValue 100 */
  trees?: number;
  /** @defaultValue 42 */
  seed?: number;
  /** Tree depth limit. @defaultValue unlimited */
  maxDepth?: number;
  /** Features tried per split: a count, a fraction, or 'sqrt' (as scikit-learn). @defaultValue 'sqrt' */
  maxFeatures?: number | 'sqrt';
  /** @defaultValue 1 */
  minSamplesLeaf?: number;
  /** @defaultValue true */
  bootstrap?: boolean;
  /** Worker threads for tree building. @defaultValue available cores */
  threads?: number;
  /**
   * `updraft`: the presorted CART with per-split feature sampling, on worker
   * threads. `ml-random-forest`: the library's own trainer (O(n^2) splits,
   * features drawn once per tree), kept as the baseline. Both produce the
   * library's model format. @defaultValue 'updraft'
   */
  trainer?: 'updraft' | 'ml-random-forest';
  onTree?: (done: number, total: number) => void;
}

/** The serialized model: ml-random-forest's own JSON plus what is needed to use it. */
export interface ModelArtifact {
  format: 'ml-random-forest@2';
  features: string[];
  target: string;
  classes: string[];
  model: unknown;
}

/** Trains a forest and returns it as ml-random-forest's classifier (format, predictor and all). */
export async function trainForest(
  X: number[][],
  y: number[],
  nClasses: number,
  options: ForestOptions = {},
): Promise<RandomForestClassifier> {
  if ((options.trainer ?? 'updraft') === 'updraft') {
    return RandomForestClassifier.load((await trainFastForest(X, y, nClasses, options)) as never);
  }
  const forest = new RandomForestClassifier({
    nEstimators: options.trees ?? 100,
    seed: options.seed ?? 42,
    // The library draws features once per tree: all of them, without replacement, keeps trees strong.
    maxFeatures: 1.0,
    replacement: false,
    useSampleBagging: options.bootstrap ?? true,
    noOOB: true,
    treeOptions: { maxDepth: options.maxDepth ?? Infinity },
  } as never);
  forest.train(X, y);
  return forest;
}

/**
 * Vote fractions per class, computed from `predictionValues` (every tree's
 * vote): ml-random-forest's `predictProbability` drops the first tree's vote.
 */
export function voteFractions(forest: RandomForestClassifier, X: number[][], nClasses: number): number[][] {
  const votes = forest.predictionValues(X) as unknown as { rows: number; columns: number; get(i: number, j: number): number };
  const out: number[][] = [];
  for (let i = 0; i < votes.rows; i++) {
    const counts = new Array<number>(nClasses).fill(0);
    for (let t = 0; t < votes.columns; t++) counts[votes.get(i, t)]!++;
    out.push(counts.map((c) => c / votes.columns));
  }
  return out;
}

/** Predicted class = most votes (ties to the lower class index, as ml-random-forest's mode). */
export const argmax = (row: readonly number[]): number => row.reduce((best, v, i) => (v > row[best]! ? i : best), 0);

export function loadForest(artifact: ModelArtifact): RandomForestClassifier {
  return RandomForestClassifier.load(artifact.model as never);
}
